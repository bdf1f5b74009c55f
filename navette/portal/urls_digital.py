"""Portal URLs for the online media library, the CAS server and the OpenID Connect
provider (names live in the "portal" namespace)."""

from django.urls import URLPattern, path

from navette.portal.views import digital

urlpatterns: list[URLPattern] = [
    path("mediatheque-en-ligne/", digital.digital, name="digital"),
    path("mediatheque-en-ligne/titre/<int:pk>/", digital.title_detail, name="digital_title"),
    path(
        "mediatheque-en-ligne/titre/<int:pk>/lancer/",
        digital.title_launch,
        name="digital_title_launch",
    ),
    path("mediatheque-en-ligne/<slug:code>/", digital.resource_detail, name="digital_resource"),
    path(
        "mediatheque-en-ligne/<slug:code>/acceder/",
        digital.resource_launch,
        name="digital_resource_launch",
    ),
    # CAS protocol 2.0 and 3.0
    path("cas/login", digital.cas_login, name="cas_login"),
    path("cas/serviceValidate", digital.cas_service_validate, name="cas_service_validate"),
    path("cas/p3/serviceValidate", digital.cas_p3_service_validate, name="cas_p3_service_validate"),
    path("cas/logout", digital.cas_logout, name="cas_logout"),
    # OpenID Connect
    path(".well-known/openid-configuration", digital.oidc_configuration, name="oidc_configuration"),
    path("oidc/authorize", digital.oidc_authorize, name="oidc_authorize"),
    path("oidc/token", digital.oidc_token, name="oidc_token"),
    path("oidc/userinfo", digital.oidc_userinfo, name="oidc_userinfo"),
    path("oidc/jwks", digital.oidc_jwks, name="oidc_jwks"),
]
