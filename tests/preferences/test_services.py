import pytest
from django.core.exceptions import ValidationError

from preferences.models import UserPreference
from preferences.selectors import user_time_zone
from preferences.services import user_time_zone_set


@pytest.mark.django_db
def test_a_user_reads_times_in_the_site_zone_until_they_pick_one(agent_user, settings):
    settings.TIME_ZONE = "America/New_York"
    assert user_time_zone(user=agent_user) == "America/New_York"
    user_time_zone_set(user=agent_user, time_zone="America/Los_Angeles")
    assert user_time_zone(user=agent_user) == "America/Los_Angeles"


@pytest.mark.django_db
def test_picking_the_site_zone_follows_the_site_if_it_changes(agent_user, settings):
    settings.TIME_ZONE = "America/New_York"
    user_time_zone_set(user=agent_user, time_zone="America/New_York")
    assert UserPreference.objects.get(user=agent_user).time_zone == ""
    settings.TIME_ZONE = "America/Chicago"
    assert user_time_zone(user=agent_user) == "America/Chicago"


@pytest.mark.django_db
def test_an_unknown_zone_is_refused(agent_user):
    with pytest.raises(ValidationError):
        user_time_zone_set(user=agent_user, time_zone="Mars/Olympus_Mons")
    assert not UserPreference.objects.exists()
