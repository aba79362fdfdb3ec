"""``GET /api/v1/attachments/{id}``: a file of a message in one of your chats."""
from __future__ import annotations

from spectree import Response

from app.api import ID, bp
from app.api.auth import api_user
from app.api.schemas import Error
from app.api.spec import api
from app.identity.scoping import attachment_or_404
from app.web.files import send_attachment, sends_files


@bp.get(f"/attachments/<{ID}:attachment_id>")
@sends_files
@api.validate(resp=Response(HTTP_200=None, HTTP_401=Error, HTTP_404=Error, HTTP_422=Error, HTTP_429=Error), tags=["attachments"],
              skip_validation=True)
def get_attachment(attachment_id: int):
    """The file, with its sniffed type; images and audio inline, other files as a download."""
    return send_attachment(attachment_or_404(api_user(), attachment_id))
