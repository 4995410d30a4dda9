"""Settings, read from the environment.

Nothing set: SQLite in var/, Celery tasks run in-process (the embedded default).
DATABASE_URL: a PostgreSQL (production) or SQLite database, as a URL dj-database-url reads.
REDIS_URL: Celery broker; tasks then run on a worker and beat dispatches timers.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "engine",
    "workflows",
    "workflows.procurement",
    "workflows.planning",
    "workflows.service",
    "webui",
    "notifications",
    "axes",
    "accounts",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's and ReDoc's assets, served from here rather than a CDN
    "restapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Stylesheets, scripts and bundles from STATIC_ROOT (after collectstatic) under any WSGI server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "webui.query_plans.CustomPlans",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is chosen, before any view looks a value of the address up.
    "webui.request_addresses.RefuseUnstorableAddresses",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so they see the login view's outcome: one password check at a time per account, and the lockout page.
    "accounts.throttle.OneCheckPerAccount",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}}
_database = DATABASES["default"]
if _database["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound on the server, and statements prepared once they have run twice: every step
    # repeats the same few. Django turns preparing off by default for poolers that cannot keep
    # prepared statements (PgBouncer before 1.21 in transaction mode); DATABASE_PREPARE_THRESHOLD=off
    # does the same here.
    _prepare = os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")
    _database.setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=None if _prepare == "off" else int(_prepare))
elif _database["ENGINE"] == "django.db.backends.sqlite3":
    _database.setdefault("OPTIONS", {}).update({
        # IMMEDIATE takes the write lock at BEGIN, so engine steps serialise
        # the way SELECT ... FOR UPDATE makes them on PostgreSQL.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
    # A file, not shared-cache memory: concurrent steps then wait for the lock as in production.
    _database["TEST"] = {"NAME": Path(_database["NAME"]).with_name("test-" + Path(_database["NAME"]).name)}
    # Covering indexes carry their extra columns on PostgreSQL; SQLite indexes their keys alone, which serves
    # the embedded default's size, so every migrate need not warn of it.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    # The engine locks instances with PostgreSQL's row locks or SQLite's write lock; other databases get neither.
    raise ImproperlyConfigured(f"DATABASE_URL names a {_database['ENGINE']} database; use PostgreSQL or SQLite")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise reads it at startup, filled by collectstatic
MEDIA_ROOT = VAR_DIR / "media"

# An Excel export holds at most this many rows (a note in the sheet says when there were more).
EXPORT_MAX_ROWS = int(os.environ.get("EXPORT_MAX_ROWS", "100000"))

LOGIN_URL = "webui:login"
LOGIN_REDIRECT_URL = "webui:inbox"
LOGOUT_REDIRECT_URL = "webui:login"

# Local logins (accounts/throttle.py, on django-axes): LOGIN_FAILURES_PER_ACCOUNT failed passwords for one account,
# or LOGIN_FAILURES_PER_ADDRESS from one address, each within LOGIN_LOCK_MINUTES of the one before, lock it until
# LOGIN_LOCK_MINUTES after the last; the right password is refused meanwhile. Behind reverse proxies that append to
# X-Forwarded-For, LOGIN_PROXY_COUNT says how many, so the address is the client's and not the proxy's.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.oidc.OfficeBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "50"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCK_MINUTES", "15")))
LOGIN_PROXY_COUNT = int(os.environ.get("LOGIN_PROXY_COUNT", "0"))
AXES_HANDLER = "accounts.throttle.AccountAndAddressHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_WHITELIST_CALLABLE = "accounts.throttle.without_password"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
AXES_RESET_ON_SUCCESS = True
# Attempts while locked are refused without being counted: the lock lifts when it said it would.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

# Single sign-on through the province's identity service (accounts/oidc.py), beside local passwords: on when
# OIDC_RP_CLIENT_ID is set, and then the client's secret, the service's issuer and its endpoints must be set too.
# A person's office is the claim OIDC_OFFICE_CLAIM names, their display name OIDC_NAME_CLAIM's, a new account's
# username OIDC_USERNAME_CLAIM's (else their subject). Sign-on makes no one a supervisor or a process owner unless
# OIDC_SUPERVISOR_CLAIM or OIDC_PROCESS_OWNER_CLAIM names the claim that says so.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
if OIDC_RP_CLIENT_ID:
    _unset = [name for name in ("OIDC_RP_CLIENT_SECRET", "OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT",
                                "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT")
              if not globals()[name]]
    if _unset:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set, single sign-on needs {', '.join(_unset)} as well")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))  # seconds for each call to the identity service
OIDC_OFFICE_CLAIM = os.environ.get("OIDC_OFFICE_CLAIM", "office_code")
OIDC_NAME_CLAIM = os.environ.get("OIDC_NAME_CLAIM", "name")
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_SUPERVISOR_CLAIM = os.environ.get("OIDC_SUPERVISOR_CLAIM", "")
OIDC_PROCESS_OWNER_CLAIM = os.environ.get("OIDC_PROCESS_OWNER_CLAIM", "")

# Celery: Redis when REDIS_URL is set, otherwise eager in-process execution.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A job past the soft limit is interrupted in the worker (its step rolls back); past the hard one the worker
# process is replaced, so no job holds a worker slot, or an instance's lock, for good.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("JOB_SOFT_TIME_LIMIT", "300"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("JOB_TIME_LIMIT", "360"))
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-timers": {
        "task": "engine.jobs.dispatch_due_timers",
        "schedule": float(os.environ.get("TIMER_DISPATCH_INTERVAL", "5")),
    },
    # Audit events and due dates into notifications and webhook deliveries, and what is due sent (notifications/).
    "notifications": {
        "task": "notifications.jobs.tick",
        "schedule": float(os.environ.get("NOTIFY_INTERVAL", "15")),
    },
}

ENGINE = {
    # The domain's office directory: which lane roles exist and which office a task is for.
    "DIRECTORY": "workflows.directory.OfficeDirectory",
    # Modules imported at start-up that register service-task handlers and script functions.
    "EXTENSIONS": [
        "workflows.planning.handlers",
        "workflows.planning.launch",
        "workflows.procurement.handlers",
        "workflows.procurement.challenges",
        "workflows.procurement.complaints",
        "workflows.service.handlers",
    ],
    "MAX_BPMN_BYTES": int(os.environ.get("MAX_BPMN_BYTES", str(5 * 1024 * 1024))),
    # An uploaded attachment larger than this is refused.
    "MAX_ATTACHMENT_BYTES": int(os.environ.get("MAX_ATTACHMENT_BYTES", str(50 * 1024 * 1024))),
    # A claimed timer whose advance has not finished within this many seconds is claimed again.
    "TIMER_LEASE_SECONDS": int(os.environ.get("TIMER_LEASE_SECONDS", "60")),
    # How often a step whose failure may pass (a lost connection, a deadlock, a handler's TryAgain) is
    # tried, waiting STEP_RETRY_SECONDS, then four times that, ... in between, before it is an incident.
    "STEP_ATTEMPTS": int(os.environ.get("STEP_ATTEMPTS", "3")),
    "STEP_RETRY_SECONDS": float(os.environ.get("STEP_RETRY_SECONDS", "0.05")),
    # Limits on each evaluation of a script or expression from a diagram (engine/scripting/limits.py).
    "SCRIPT_SECONDS": float(os.environ.get("SCRIPT_SECONDS", "2")),
    "SCRIPT_STEPS": int(os.environ.get("SCRIPT_STEPS", "1000000")),
    "SCRIPT_MAX_ITEMS": int(os.environ.get("SCRIPT_MAX_ITEMS", "1000000")),
    "SCRIPT_MEMORY_MB": int(os.environ.get("SCRIPT_MEMORY_MB", "256")),
}

# Mail: SMTP when EMAIL_HOST is set; otherwise each mail is a file in VAR_DIR/mail, to read what would be sent.
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "社工站服务流程 <noreply@localhost>")

# Notifications and webhooks (notifications/, README "Notifications and webhooks").
NOTIFICATIONS = {
    # Links in messages start with this: the address people open the pages at.
    "BASE_URL": os.environ.get("NOTIFY_BASE_URL", "http://127.0.0.1:8000"),
    # A digest gathers what came since the last one and goes out at this hour, China time.
    "DIGEST_HOUR": int(os.environ.get("NOTIFY_DIGEST_HOUR", "8")),
    # A failed send is tried again after RETRY_SECONDS, twice that, ... at most RETRY_MAX_SECONDS apart, until
    # MAX_ATTEMPTS have failed; a claimed row whose sender vanished is claimed again after LEASE_SECONDS.
    "RETRY_SECONDS": float(os.environ.get("NOTIFY_RETRY_SECONDS", "30")),
    "RETRY_MAX_SECONDS": float(os.environ.get("NOTIFY_RETRY_MAX_SECONDS", "3600")),
    "MAX_ATTEMPTS": int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "16")),
    "LEASE_SECONDS": int(os.environ.get("NOTIFY_LEASE_SECONDS", "120")),
    # Robots and webhooks: seconds to connect and for each read (the whole exchange at most twice that), and
    # how much of an answer is read.
    "HTTP_TIMEOUT": float(os.environ.get("NOTIFY_HTTP_TIMEOUT", "10")),
    "MAX_RESPONSE_BYTES": int(os.environ.get("NOTIFY_MAX_RESPONSE_BYTES", str(64 * 1024))),
    # The only hosts a person's group robot may post to.
    "ROBOT_HOSTS": [h.strip() for h in os.environ.get(
        "NOTIFY_ROBOT_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com").split(",") if h.strip()],
}

# A request may carry a diagram of MAX_BPMN_BYTES as JSON (quotes escaped) with its forms: larger bodies are
# refused before they are read (the JSON views answer 413 in JSON); a diagram just past the limit reaches the
# engine, which names the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * ENGINE["MAX_BPMN_BYTES"] + 2 ** 20
# The modeler validates (and deploys) this many diagrams at a time per web process, and this many a minute per owner.
MODELER_PARALLEL_VALIDATIONS = int(os.environ.get("MODELER_PARALLEL_VALIDATIONS", "2"))
MODELER_VALIDATIONS_PER_MINUTE = int(os.environ.get("MODELER_VALIDATIONS_PER_MINUTE", "30"))

# The REST API (restapi/): tokens for other systems, sessions (with CSRF) for the pages' scripts; errors as
# problem details; only JSON answers, the documentation being Swagger UI and ReDoc at /api/docs/ and /api/redoc/.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["restapi.auth.TokenAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["restapi.limits.JSONParser", "restapi.limits.MultiPartParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "restapi.pagination.Pages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "restapi.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "社工站服务流程引擎 API",
    "DESCRIPTION": "Process definitions, instances, tasks, messages and the working-day calendar. "
                   "Systems send `Authorization: Token <token>` (manage.py apitoken create OFFICE_CODE --name NAME).",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"InstanceState": "engine.models.InstanceState.CHOICES",
                            "TaskState": "engine.models.TaskState.CHOICES"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "restapi.problems.add_problem_responses"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
