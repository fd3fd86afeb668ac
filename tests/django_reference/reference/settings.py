"""A stock Django 5.2 + DRF + dj-rest-auth + allauth project, as the Django dialect's clients
know it, which also serves allauth's headless API (both clients, with MFA) at /_allauth/, as
the allauth dialect's clients know it. Only what the comparison needs differs from the defaults: a fast hasher, a database
path from the environment, JSON-only DRF answers, no mail sent."""
import os

SECRET_KEY = "reference-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "reference.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "rest_framework",
    "dj_rest_auth",
    "allauth",
    "allauth.account",
    # dj_rest_auth.registration imports its models.
    "allauth.socialaccount",
    "dj_rest_auth.registration",
    # The headless API and its second factor (TOTP and recovery codes, allauth's default
    # MFA_SUPPORTED_TYPES); they add URLs of their own and leave dj-rest-auth's as they were.
    "allauth.headless",
    "allauth.mfa",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("REFERENCE_DB", "reference.sqlite3"),
    }
}

# Seconds for the whole corpus instead of minutes.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication"
    ],
}
REST_AUTH = {
    "TOKEN_MODEL": None,
    "SESSION_LOGIN": True,
    "OLD_PASSWORD_FIELD_ENABLED": True,
}

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True

# A headless project serves none of allauth's own (headed) pages: its single-page app has
# them, and its mails point there.
HEADLESS_ONLY = True
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": "/account/verify-email/{key}",
    "account_reset_password": "/account/password/reset",
    "account_reset_password_from_key": "/account/password/reset/key/{key}",
    "account_signup": "/account/signup",
}

# No rate limits: the corpus fails logins more often than allauth's limits allow, as latch's
# side runs without flood control (both have tests of their own for that).
ACCOUNT_RATE_LIMITS = False
