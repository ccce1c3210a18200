"""Domain core shared by the API and the workers: settings, errors, schemas, Redis data model."""
