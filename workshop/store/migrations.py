"""The database schema, as numbered migrations applied at start."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .schema import refuse_unknown_steps

migrations = Migrations("workshop")


SCHEMA_001 = """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE sessions (
            code TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            service TEXT NOT NULL DEFAULT '',
            plan_id TEXT NOT NULL,
            plan_json TEXT NOT NULL,
            groups_json TEXT NOT NULL,
            current_step INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE questions (
            session_code TEXT NOT NULL REFERENCES sessions(code),
            question_id TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'open', 'closed')),
            round INTEGER NOT NULL DEFAULT 1,
            revealed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (session_code, question_id)
        );
        CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            session_code TEXT NOT NULL REFERENCES sessions(code),
            token TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            group_name TEXT NOT NULL DEFAULT '',
            joined_at TEXT NOT NULL
        );
        CREATE INDEX participants_by_session ON participants(session_code);
        -- One vote per participant per question per round: a later vote replaces the earlier one.
        CREATE TABLE votes (
            session_code TEXT NOT NULL,
            question_id TEXT NOT NULL,
            round INTEGER NOT NULL,
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            value TEXT NOT NULL,
            voted_at TEXT NOT NULL,
            PRIMARY KEY (session_code, question_id, round, participant_id)
        ) WITHOUT ROWID;
        -- Message ids already applied, so a resent vote or submission counts once.
        CREATE TABLE messages (
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            message_id TEXT NOT NULL,
            question_id TEXT NOT NULL,
            round INTEGER NOT NULL,
            PRIMARY KEY (participant_id, message_id)
        ) WITHOUT ROWID;
        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            session_code TEXT NOT NULL REFERENCES sessions(code),
            question_id TEXT NOT NULL,
            round INTEGER NOT NULL,
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            text TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected')),
            created_at TEXT NOT NULL
        );
        CREATE INDEX submissions_by_session ON submissions(session_code, status);
        CREATE TABLE consensus_records (
            session_code TEXT NOT NULL REFERENCES sessions(code),
            kind TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('less', 'same', 'more')),
            strategy TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('agreed', 'no_consensus', 'deferred')),
            notes TEXT NOT NULL DEFAULT '',
            dissent TEXT NOT NULL DEFAULT '',
            sla_input TEXT NOT NULL DEFAULT '',
            evidence_json TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (session_code, kind)
        );
"""


@migrations(name="001_initial")
def initial(db: Database) -> None:
    _run_statements(db, SCHEMA_001)


@migrations(name="002_room_controls")
def room_controls(db: Database) -> None:
    _run_statements(db, """
        ALTER TABLE sessions ADD COLUMN joining_locked INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN room_size INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE participants ADD COLUMN removed_at TEXT;
        CREATE INDEX pending_submissions ON submissions(session_code, question_id, participant_id, status)
    """)


# A record's structured SLA clauses, ticked tactics, owner and due date for open decisions, and the
# warnings computed when it was recorded (JSON lists and objects).
SCHEMA_002 = """
        ALTER TABLE consensus_records ADD COLUMN sla_json TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE consensus_records ADD COLUMN clauses_json TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE consensus_records ADD COLUMN owner TEXT NOT NULL DEFAULT '';
        ALTER TABLE consensus_records ADD COLUMN due TEXT NOT NULL DEFAULT '';
        ALTER TABLE consensus_records ADD COLUMN warnings_json TEXT NOT NULL DEFAULT '[]'
"""


@migrations(name="003_record_clauses")
def record_clauses(db: Database) -> None:
    _run_statements(db, SCHEMA_002)


@migrations(name="004_flow")
def flow(db: Database) -> None:
    _run_statements(db, """
        ALTER TABLE questions ADD COLUMN closes_at TEXT;
        ALTER TABLE sessions ADD COLUMN ended INTEGER NOT NULL DEFAULT 0
    """)


# Who was present for each round of a question, stored when the round closes, with the group each
# was in then: a closed round's figures are made from its votes and this list, never from later joins.
ROUND_PRESENCE_005 = """
        CREATE TABLE round_presence (
            session_code TEXT NOT NULL REFERENCES sessions(code),
            question_id TEXT NOT NULL,
            round INTEGER NOT NULL,
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            group_name TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (session_code, question_id, round, participant_id)
        )
"""


@migrations(name="005_round_presence")
def round_presence(db: Database) -> None:
    _run_statements(db, ROUND_PRESENCE_005)
# One-time sign-in tokens, kept in the record so that whichever process serves the exchange finds the
# token another issued (several processes behind a balancer); only a hash is kept.
@migrations(name="006_signin_tokens")
def signin_tokens(db: Database) -> None:
    _run_statements(db, """
        CREATE TABLE signin_tokens (
            token_hash TEXT PRIMARY KEY,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID
    """)


# A deferred decision may be recorded without a direction or a strategy (stored as empty): the table is
# made again with checks that allow it, since SQLite cannot change a column's CHECK in place.
DEFERRED_OPEN_007 = """
        CREATE TABLE consensus_records_new (
            session_code TEXT NOT NULL REFERENCES sessions(code),
            kind TEXT NOT NULL,
            direction TEXT NOT NULL
                CHECK (direction IN ('less', 'same', 'more') OR (direction = '' AND status = 'deferred')),
            strategy TEXT NOT NULL CHECK (strategy <> '' OR status = 'deferred'),
            status TEXT NOT NULL CHECK (status IN ('agreed', 'no_consensus', 'deferred')),
            notes TEXT NOT NULL DEFAULT '',
            dissent TEXT NOT NULL DEFAULT '',
            sla_input TEXT NOT NULL DEFAULT '',
            evidence_json TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            sla_json TEXT NOT NULL DEFAULT '{}',
            clauses_json TEXT NOT NULL DEFAULT '[]',
            owner TEXT NOT NULL DEFAULT '',
            due TEXT NOT NULL DEFAULT '',
            warnings_json TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (session_code, kind)
        );
        INSERT INTO consensus_records_new (session_code, kind, direction, strategy, status, notes, dissent,
            sla_input, evidence_json, recorded_at, sla_json, clauses_json, owner, due, warnings_json)
            SELECT session_code, kind, direction, strategy, status, notes, dissent, sla_input, evidence_json,
                recorded_at, sla_json, clauses_json, owner, due, warnings_json FROM consensus_records;
        DROP TABLE consensus_records;
        ALTER TABLE consensus_records_new RENAME TO consensus_records
"""


@migrations(name="007_deferred_open")
def deferred_open(db: Database) -> None:
    _run_statements(db, DEFERRED_OPEN_007)


def known_steps() -> list[str]:
    """The names of the schema steps this version knows, in order."""
    return [migration.name for migration in migrations._migrations]


def check_schema(db: Database, location: str) -> None:
    """Refuse (SchemaTooNew) a database carrying a schema step this version does not know."""
    applied = [migration.name for migration in migrations.applied(db)]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    refuse_unknown_steps(applied, known_steps(), location, version)


def bring_up_to_date(db: Database, location: str) -> None:
    """Apply the steps this database lacks and record the schema version; refuse a newer database."""
    check_schema(db, location)
    migrations.apply(db)
    # The count of steps, readable without knowing their names (`sqlite3 workshop.db "pragma user_version"`).
    if db.execute("PRAGMA user_version").fetchone()[0] != len(known_steps()):
        db.execute(f"PRAGMA user_version = {len(known_steps())}")


def _run_statements(db: Database, script: str) -> None:
    # executescript() would commit the migration's transaction; run statements one by one instead.
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)
