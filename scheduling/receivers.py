"""Saving or deleting a user or their portal account tells the running scheduler (after commit),
whichever interface made the change: web page, API, admin, shell, a data migration."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from credentials.models import PortalAccount
from scheduling.notify import scheduler_notify


@receiver(post_save, sender=User, dispatch_uid="scheduling.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="scheduling.user_deleted")
def user_changed(sender, instance: User, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    update_fields = kwargs.get("update_fields")
    # A login only touches last_login: nothing the scheduler reads.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    scheduler_notify(kind="user", object_id=instance.pk)


@receiver(post_save, sender=PortalAccount, dispatch_uid="scheduling.account_saved")
@receiver(post_delete, sender=PortalAccount, dispatch_uid="scheduling.account_deleted")
def portal_account_changed(sender, instance: PortalAccount, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    scheduler_notify(kind="user", object_id=instance.user_id)
