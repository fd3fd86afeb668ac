from django.http import HttpResponse
from django.urls import include, path


def reset_link(request, uidb64, token):
    """The page a reset mail links to; the comparison never follows it."""
    return HttpResponse("")


urlpatterns = [
    path("dj-rest-auth/", include("dj_rest_auth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("dj-rest-auth/registration/", include("dj_rest_auth.registration.urls")),
    path(
        "dj-rest-auth/password/reset/confirm/<uidb64>/<token>/",
        reset_link,
        name="password_reset_confirm",
    ),
]
