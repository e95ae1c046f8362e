"""The "live" page: which remote agents are connected through the agent gateway, and the games in play.

Remote agents play from their owners' machines only while connected, so the first thing their owner
wants to see is whether the league sees them; the games in play are every match a worker or the
gateway holds a lease for now, remote ones first.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.pages.rendering import render, status_line
from league.core.matches import list_matches
from league.core.remote import list_remote

IN_PLAY_SHOWN = 200  # matches in play listed at most

router = APIRouter(tags=["dashboard"], include_in_schema=False)


@router.get("/live", response_class=HTMLResponse)
def live_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    agents = list_remote(session, settings=settings)
    online = {a.snapshot.id for a in agents if a.online}
    playing = list_matches(session, state="leased", limit=IN_PLAY_SHOWN)
    in_play = sorted(playing.items, key=lambda m: (not ({m.snapshot_a_id, m.snapshot_b_id} & online), m.id))
    remote_ids = {a.snapshot.id for a in agents}
    return render("live.html", status=status_line(session, settings), active="live", agents=agents,
                  online=online, in_play=in_play, in_play_total=playing.total, remote_ids=remote_ids)
