"""Attachments as files (SPEC §6): what an upload is, decided by its bytes, with the text of
a document (``uploads.py``), and where files live, by hash, with their sweeping
(``storage.py``). Serving one over HTTP is the web layer's (``app/web/files.py``); what the
model is sent, the reply workflow's (``app/replies/context.py``)."""
