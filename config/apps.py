from django.contrib.admin.apps import AdminConfig


class BureauAdminConfig(AdminConfig):
    default_site = "stations.admin_base.BureauAdminSite"
