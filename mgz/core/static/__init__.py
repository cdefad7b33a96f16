"""Static files of the API pages (stylesheets, the Swagger UI initializer); package data."""
