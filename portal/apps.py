from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The portal's pages that gather every app (home, a station's page) and the demo loader.

    The top of the import direction: it may import every domain app, and none imports it.
    """

    name = "portal"
    verbose_name = "站点门户"
