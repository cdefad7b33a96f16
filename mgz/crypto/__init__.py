"""Field-level encryption: master keys, per-subject data keys, encrypted fields, blind indexes.

``keys`` loads the master keys (KEKs) and the index key, ``fields`` holds the stored
format of one encrypted value, ``types`` the declarative model API
(:func:`~mgz.crypto.types.encrypted_column`, :func:`~mgz.crypto.types.blind_index_column`),
``service`` the key operations (status, rotate, retire, shred).
"""
