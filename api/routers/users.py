"""Users: admins create them; anyone reads who they are and which agents they own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminDep, SessionDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from league.core import users
from league.core.lineages import user_detail
from league.core.read_schemas import UserDetail
from league.core.schemas import UserInfo

router = APIRouter(prefix="/api/users", tags=["users"], responses=ERROR_RESPONSES)

USER_PATTERN = users.USER_NAME.pattern
UserName = Annotated[str, Path(pattern=USER_PATTERN, description=f"a user name: {users.USER_NAME_RULE}")]


class UserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=USER_PATTERN, description=f"the new user's name: {users.USER_NAME_RULE}")


@router.post("", response_model=UserInfo, status_code=201, responses=AUTH_RESPONSES)
def create_user(session: SessionDep, caller: AdminDep, request: UserRequest):
    """A new user (admin token); 409 when the name is taken. Give it tokens with `POST /api/tokens`."""
    return users.create_user(session, request.name)


@router.get("", response_model=list[UserInfo])
def list_users(session: SessionDep):
    """Every user, by name."""
    return users.list_users(session)


@router.get("/{name}", response_model=UserDetail)
def get_user(session: SessionDep, name: UserName):
    """A user and the agent lineages it owns, best first, each with its best snapshot and rating."""
    return user_detail(session, name)
