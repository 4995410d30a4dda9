from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignOnIdentity(models.Model):
    """A person of the identity service, named by its issuer and their subject there, and the account they sign on to
    here. Made at their first sign-on; an administrator links an existing local account by adding one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_on_identities",
                             verbose_name=_("账户"))
    issuer = models.CharField(_("身份认证服务"), max_length=255)
    subject = models.CharField(_("统一身份标识"), max_length=255)
    linked_at = models.DateTimeField(_("关联时间"), auto_now_add=True)
    last_sign_on = models.DateTimeField(_("最近登录"), null=True, blank=True)

    class Meta:
        verbose_name = _("统一身份认证关联")
        verbose_name_plural = _("统一身份认证关联")
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="unique_sign_on_identity")]

    def __str__(self):
        return f"{self.subject} → {self.user}"
