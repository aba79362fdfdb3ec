"""The models Confab can offer (SPEC §3, §8): the model file's providers and models seeded
into the database, the defaults, and the enabled models of a kind (``registry.py``)."""
