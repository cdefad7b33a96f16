"""mgz: case management for the Migrationszentrum of Landkreis Osnabrück."""

from mgz.app import create_app

__all__ = ["create_app"]
