"""The periodic jobs run from the scheduler, with nobody sending anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.models import Offer, OfferStatus
from chat.services.requests import request_create
from tests.chat.helpers import listener_on_shift
from tests.factories import SeekerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_configured_job_is_importable():
    from support.scheduler import scheduled_jobs

    scheduled_jobs.cache_clear()
    assert len(scheduled_jobs()) >= 4


def test_scheduler_expires_offers_and_reoffers_without_any_client_frame(settings):
    first = listener_on_shift()
    second = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer = Offer.objects.get(request=request)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("run_scheduler", "--once")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    following = Offer.objects.get(request=request, status=OfferStatus.PENDING)
    assert following.listener in {first, second} and following.listener != offer.listener
