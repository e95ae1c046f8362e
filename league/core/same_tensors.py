"""Finding a stored snapshot that holds the same policy as an upload, whatever its file's metadata.

Snapshots are stored by the sha256 of their file; two files with identical tensors and other
metadata (a checkpoint re-saved, an ONNX file re-exported) would be two pool members that only draw
against each other, and the league would spend games on them. Registration therefore also compares
the kind's content digest (`PolicyKind.content_digest`, `league.core.kinds.tensor_digest`) with
those of the kind's stored snapshots.

The digests of stored snapshots are not in the database: each is computed from the stored bytes
the first time a process compares against it and kept in memory by file sha256 (snapshots never
change, so an entry never goes stale). The first registration after a start reads every stored
file of the kind once; later ones read only what is new.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from league.core.errors import InvalidInput
from league.core.kinds import get_kind
from league.core.models import Snapshot, SnapshotWeights

_digests: dict[str, str] = {}  # file sha256 -> content digest


def content_digest(kind: str, data: bytes, sha256: str) -> str | None:
    """The content digest of checked bytes of `kind` (None for a kind without one), remembered by `sha256`."""
    digest_of = get_kind(kind).content_digest
    if digest_of is None:
        return None
    if sha256 not in _digests:
        _digests[sha256] = digest_of(data)
    return _digests[sha256]


def find_same_tensors(session: Session, kind: str, digest: str, *, after_id: int = 0) -> tuple[Snapshot | None, int]:
    """The first stored snapshot of `kind` (id above `after_id`) whose content digest is `digest`, and
    the highest id looked at (to look again later at only the newer ones)."""
    highest = after_id
    rows = session.execute(select(Snapshot.id, Snapshot.weights_sha256).where(
        Snapshot.kind == kind, Snapshot.id > after_id, Snapshot.weights_sha256.is_not(None)).order_by(Snapshot.id))
    for snapshot_id, sha256 in rows.all():
        highest = snapshot_id
        known = _digests.get(sha256) if sha256 else None
        if known is None:
            data = session.scalar(select(SnapshotWeights.data).where(SnapshotWeights.snapshot_id == snapshot_id))
            if data is None or not sha256:
                continue
            try:
                known = content_digest(kind, data, sha256)
            except InvalidInput:  # stored before a check it would fail now: compared by its file alone
                continue
        if known == digest:
            return session.get(Snapshot, snapshot_id), highest
    return None, highest
