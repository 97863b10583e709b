"""Records to rows and back: the bulk save (compare with what is stored, insert the new in
bulk, overwrite only what differs) and loading one stored record as the dataclass a form
edits.  Every function works inside a transaction it is handed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa

from .. import domain
from ..records import (DailyCheckin, InvalidRecord, MassageSession, MedicationDose, Record,
                       patient_name_problem)
from .errors import NotFound
from .schema import (DAILY_VALUE_FIELDS, area_pain, daily_checkins, doses, patients,
                     session_areas, sessions)

_TABLES = {"daily": daily_checkins, "sessions": sessions, "doses": doses}


def _holds_records(conn: sa.Connection) -> bool:
    """Whether any record is stored (EXISTS: stops at the first row of a large table)."""
    return any(conn.execute(sa.select(sa.exists().select_from(t))).scalar()
               for t in (daily_checkins, sessions, doses))


def _patient_id_in(conn: sa.Connection, name: str) -> int:
    """The id of patient ``name`` inside a write transaction, created when new."""
    name = _checked_patient_name(name)
    found = conn.execute(sa.select(patients.c.id).where(patients.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(
        patients.insert().values(name=name, created_at=dt.datetime.now())
    ).inserted_primary_key[0])


def _checked_patient_name(name) -> str:
    """``name`` stripped, or ``InvalidRecord`` naming the ``patient`` (empty, too long...)."""
    problem = patient_name_problem(name)
    if problem:
        raise InvalidRecord({"patient": problem})
    return name.strip()


def _blank_to_none(value):
    return None if value is None or (isinstance(value, float) and value != value) else value


@dataclass(frozen=True)
class _Kind:
    """How one record type maps onto its table: natural key, values, child rows."""

    name: str
    table: sa.Table
    keys: tuple[str, ...]
    values: Callable[[Record], dict]
    child: sa.Table | None = None
    child_fk: str = ""
    children: Callable[[Record], list[dict]] = lambda record: []

    def key(self, record: Record) -> tuple:
        return tuple(getattr(record, k).strip() if k == "name" else getattr(record, k)
                     for k in self.keys)

    def where_key(self, patient_id: int, key: tuple) -> list:
        return [self.table.c.patient_id == patient_id,
                *[self.table.c[k] == v for k, v in zip(self.keys, key)]]


def _daily_values(r: DailyCheckin) -> dict:
    values = {"notes": r.notes or "", **{f: _blank_to_none(getattr(r, f)) for f in DAILY_VALUE_FIELDS}}
    if values["nap_minutes"] is not None:
        values["nap_minutes"] = int(values["nap_minutes"])  # 30.0 from a CSV is stored as 30
    return values


def _session_values(r: MassageSession) -> dict:
    return {"duration_min": float(r.duration_min), "pressure": r.pressure,
            "technique": r.technique or "", "therapist": r.therapist or "",
            "pain_before": _blank_to_none(r.pain_before), "pain_after": _blank_to_none(r.pain_after),
            "notes": r.notes or ""}


def _dose_values(r: MedicationDose) -> dict:
    return {"drug_class": r.drug_class, "dose": _blank_to_none(r.dose), "unit": r.unit or "",
            "reason": r.reason or ""}


_KINDS: dict[type, _Kind] = {
    DailyCheckin: _Kind("daily", daily_checkins, ("date",), _daily_values, area_pain, "checkin_id",
                        lambda r: [{"area": a, "pain": float(v)} for a, v in r.area_pain.items()
                                   if _blank_to_none(v) is not None]),
    MassageSession: _Kind("sessions", sessions, ("start",), _session_values, session_areas,
                          "session_id", lambda r: [{"area": a} for a in sorted(set(r.areas))]),
    MedicationDose: _Kind("doses", doses, ("time", "name"), _dose_values),
}


def _stored_rows(conn: sa.Connection, patient_id: int, kind: _Kind, keys: list[tuple]) -> dict:
    """The patient's stored rows for ``keys``: key -> (row, sorted child rows); 500 keys a query."""
    found: dict[tuple, tuple] = {}
    firsts = sorted({k[0] for k in keys})
    for i in range(0, len(firsts), 500):
        rows = conn.execute(sa.select(kind.table).where(
            kind.table.c.patient_id == patient_id, kind.table.c[kind.keys[0]].in_(firsts[i:i + 500]))
        ).mappings().all()
        children: dict[int, list] = {row["id"]: [] for row in rows}
        if kind.child is not None and rows:
            for child in conn.execute(sa.select(kind.child).where(
                    kind.child.c[kind.child_fk].in_(list(children)))).mappings():
                children[child[kind.child_fk]].append(_child_key(kind, child))
        for row in rows:
            found[tuple(row[k] for k in kind.keys)] = (row, sorted(children[row["id"]]))
    return found


def _child_key(kind: _Kind, child) -> tuple:
    return tuple(sorted((k, v) for k, v in dict(child).items() if k != kind.child_fk))


def _differs(kind: _Kind, record: Record, stored: tuple) -> bool:
    row, children = stored
    return (any(row[k] != v for k, v in kind.values(record).items())
            or sorted(_child_key(kind, c) for c in kind.children(record)) != children)


COPY_FROM_ROWS = 200  # PostgreSQL: batches at least this long are written with COPY


def _insert(conn: sa.Connection, kind: _Kind, patient_id: int, records: list[Record],
            source: str) -> None:
    """Insert new records and their child rows with one multi-row statement each.

    A long batch on PostgreSQL takes its ids from the table's sequence in one query and
    is written with COPY, many times faster than row-by-row executemany there.
    """
    rows = [{"patient_id": patient_id, "source": source, **dict(zip(kind.keys, kind.key(r))),
             **kind.values(r)} for r in records]
    copying = conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS
    if copying:
        ids = _next_ids(conn, kind.table, len(rows))
        _copy(conn, kind.table, [{"id": i, **row} for i, row in zip(ids, rows)])
    elif kind.child is None:
        conn.execute(kind.table.insert(), rows)
        return
    else:
        ids = conn.execute(kind.table.insert().returning(kind.table.c.id,
                                                         sort_by_parameter_order=True),
                           rows).scalars().all()
    if kind.child is None:
        return
    children = [{kind.child_fk: i, **child} for i, r in zip(ids, records) for child in kind.children(r)]
    if children and copying:
        _copy(conn, kind.child, children)
    elif children:
        conn.execute(kind.child.insert(), children)


def _next_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """``count`` new ids from the PostgreSQL sequence behind ``table.id``, in order."""
    return conn.execute(sa.text(
        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": count}).scalars().all()


def _copy(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Write ``rows`` (all with the same keys) with PostgreSQL's COPY, in this transaction."""
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _update(conn: sa.Connection, kind: _Kind, patient_id: int, record: Record) -> None:
    """Overwrite the stored record that has the same key as ``record``, and its child rows."""
    record_id = conn.execute(sa.select(kind.table.c.id).where(
        *kind.where_key(patient_id, kind.key(record)))).scalar_one()
    conn.execute(kind.table.update().where(kind.table.c.id == record_id).values(**kind.values(record)))
    if kind.child is not None:
        conn.execute(kind.child.delete().where(kind.child.c[kind.child_fk] == record_id))
        children = kind.children(record)
        if children:
            conn.execute(kind.child.insert(), [{kind.child_fk: record_id, **c} for c in children])


def _save_records(conn: sa.Connection, patient_id: int, records: list[Record],
                  source: str) -> list[tuple[str, str]]:
    """Save records with the outcomes of saving them one by one, in bulk where it can.

    New keys are inserted together; a record whose key is stored is compared with
    the stored row (read in bulk) and overwritten only when it differs.  A key
    repeated within the batch: the last record wins, as if saved one by one.
    """
    outcomes: list[tuple[str, str]] = []
    for record_type, kind in _KINDS.items():
        batch = [r for r in records if type(r) is record_type]
        if not batch:
            continue
        stored = _stored_rows(conn, patient_id, kind, [kind.key(r) for r in batch])
        fresh, later = {}, []
        for record in batch:
            key = kind.key(record)
            if key in stored or key in fresh:
                later.append(record)
            else:
                fresh[key] = record
        if fresh:
            _insert(conn, kind, patient_id, list(fresh.values()), source)
            outcomes += [(kind.name, "created")] * len(fresh)
        for record in later:
            key = kind.key(record)
            previous = stored.get(key) or (None if key not in fresh else _stored_rows(
                conn, patient_id, kind, [key])[key])
            if not _differs(kind, record, previous):
                outcomes.append((kind.name, "unchanged"))
                continue
            _update(conn, kind, patient_id, record)
            stored.pop(key, None)
            fresh[key] = record  # from now on compare with what is stored after this write
            outcomes.append((kind.name, "updated"))
    return outcomes


def _bump_revision(conn: sa.Connection, patient_id: int) -> None:
    conn.execute(patients.update().where(patients.c.id == patient_id)
                 .values(revision=patients.c.revision + 1))


def _patient_of(conn: sa.Connection, kind: str, record_id: int) -> int:
    table = _TABLES[kind]
    found = conn.execute(sa.select(table.c.patient_id).where(table.c.id == int(record_id))).scalar()
    if found is None:
        raise NotFound(f"no {kind} record with id {record_id}")
    return int(found)


def _find_id(conn: sa.Connection, patient_id: int, record: Record) -> int | None:
    """The id of the stored record with the same natural key as ``record``."""
    kind = _KINDS[type(record)]
    return conn.execute(sa.select(kind.table.c.id).where(
        *kind.where_key(patient_id, kind.key(record)))).scalar()


def _duplicate_message(record: Record) -> tuple[str, str]:
    if isinstance(record, DailyCheckin):
        return f"there is already a check-in for {record.date:%Y-%m-%d}", "date"
    if isinstance(record, MassageSession):
        return f"there is already a session at {record.start:%Y-%m-%d %H:%M}", "start"
    return f"there is already a dose of {record.name} at {record.time:%Y-%m-%d %H:%M}", "time"


def _load_record(conn: sa.Connection, kind: str, record_id: int) -> Record:
    table = _TABLES[kind]
    row = conn.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"no {kind} record with id {record_id}")
    if kind == "daily":
        areas = dict(conn.execute(sa.select(area_pain.c.area, area_pain.c.pain)
                                  .where(area_pain.c.checkin_id == record_id)).fetchall())
        return DailyCheckin(date=row["date"], notes=row["notes"], area_pain=areas,
                            **{f: row[f] for f in DAILY_VALUE_FIELDS})
    if kind == "sessions":
        linked = set(conn.execute(sa.select(session_areas.c.area)
                                  .where(session_areas.c.session_id == record_id)).scalars())
        return MassageSession(
            start=row["start"], duration_min=row["duration_min"], pressure=row["pressure"],
            areas=tuple(a for a in domain.BODY_AREAS if a in linked), technique=row["technique"],
            therapist=row["therapist"], pain_before=row["pain_before"],
            pain_after=row["pain_after"], notes=row["notes"])
    return MedicationDose(time=row["time"], name=row["name"], drug_class=row["drug_class"],
                          dose=row["dose"], unit=row["unit"], reason=row["reason"])
