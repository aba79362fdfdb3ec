"""``GET /api/v1/models``: the models a chat can use."""
from __future__ import annotations

from spectree import Response

from app.api import bp
from app.api.schemas import Error, ModelList
from app.api.spec import api
from app.catalog import registry


@bp.get("/models")
@api.validate(resp=Response(HTTP_200=ModelList, HTTP_401=Error, HTTP_422=Error, HTTP_429=Error), tags=["models"])
def list_models():
    """The enabled models.

    Chat models can be a chat's `model_id`; image models draw pictures."""
    models = [*registry.offered_models("chat"), *registry.offered_models("image")]
    return {"models": [m.to_public() for m in models]}
