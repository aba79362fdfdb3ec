"""What the blueprints share about HTTP: error answers as JSON or HTML (``errors.py``), the
checks every request passes and the headers every answer gets (``guards.py``), files sent as
answers (``files.py``: attachments, exports) and how a message's facts read on a page
(``display.py``). Domain code never builds a response; this layer and the blueprints do."""
