"""Client files (Klientenakten): personal data encrypted, statistics derived."""
