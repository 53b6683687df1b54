"""A team server that lets no one in where they don't belong: roles from a file, a workspace
whose every change checks the role and is audited (refusals too), server paths only inside
the configured roots, bounded uploads, the refusal to serve beyond loopback without sign-in,
and secrets never shown."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from assistant.access.paths import allowed_path
from assistant.access.roles import RoleFile, User, load_roles
from assistant.access.server import auth_missing, providers, read_auth, serving_problem
from assistant.access.workspace import Workspace, local_user
from assistant.cli import main
from assistant.core.config import REPO_ROOT, Settings
from assistant.core.errors import AccessDenied, ConfigError, IngestError
from assistant.deals.store import DealStore
from assistant.index.embeddings import HashingEmbedder
from assistant.index.kb import KnowledgeBase
from assistant.ingest.uploads import ingest_uploads
from assistant.service import Pitchcraft

DOC = b"# Guided onboarding\n\nEvery new workspace gets a named onboarding engineer for 45 days.\n"
NOTES = (
    REPO_ROOT / "examples" / "deals" / "lakemont-bank" / "2026-11-24-commit-call.md"
).read_bytes()
AUTH = {
    "redirect_uri": "http://team.example:8501/oauth2callback",
    "cookie_secret": "cookie-secret-0123456789",
    "client_id": "pitchcraft",
    "client_secret": "client-secret-0123456789",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}
REP = User("rita@example.com", "Rita Rep", "rep")
ENABLEMENT = User("erin@example.com", "Erin", "enablement")
MANAGER = User("max@example.com", "Max", "manager")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The one folder the server may ingest from, with a document in it."""
    folder = tmp_path / "allowed"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "onboarding.md").write_bytes(DOC)
    return folder


def _app(tmp_path: Path, root: Path, **settings: object) -> Pitchcraft:
    kb = KnowledgeBase(
        Settings(kb=tmp_path / "kb", embed_model="hash", ingest_roots=str(root), **settings),
        HashingEmbedder(),
    )
    return Pitchcraft(kb)


def _documents(app: Pitchcraft) -> list[str]:
    return sorted(d.source for d in app.kb.manifest.documents())


# -- roles ----------------------------------------------------------------------------------------


def test_roles_come_from_users_then_groups_then_the_default(tmp_path: Path) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text(
        "default: rep\nusers:\n  Dana@Example.com: admin\ngroups:\n  managers: manager\n"
        "  enablement: enablement\n",
        encoding="utf-8",
    )
    roles = load_roles(path)
    assert roles.role_of("dana@example.com") == "admin"
    assert roles.role_of("lee@example.com", ("enablement", "managers")) == "enablement"
    assert roles.role_of("sam@example.com") == "rep"
    assert load_roles(tmp_path / "missing.yaml") == RoleFile()  # no file: everyone a rep
    path.write_text("users:\n  dana@example.com: superuser\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"roles.yaml.*users"):
        load_roles(path)


def test_permissions_and_ownership() -> None:
    assert ENABLEMENT.may("knowledge.write") and not REP.may("knowledge.write")
    assert MANAGER.may("deals.all") and not ENABLEMENT.may("deals.all")
    with pytest.raises(AccessDenied, match=r"rita@example.com \(rep\) may not load"):
        REP.require("knowledge.write")
    assert REP.owns("Rita Rep") and REP.owns("RITA@example.com")  # a CRM name, or the e-mail
    assert not REP.owns("rita") and not REP.owns("") and not REP.owns("Max")
    assert local_user().may("knowledge.write") and not local_user().signed_in


# -- who may change the knowledge base, and the audit log -----------------------------------------


def test_a_rep_can_change_nothing_and_every_refusal_is_audited(tmp_path: Path, root: Path) -> None:
    app = _app(tmp_path, root)
    Workspace(app, ENABLEMENT).ingest([root])
    before = _documents(app)
    rep = Workspace(app, REP)
    for attempt in (
        lambda: rep.ingest([root / "docs"]),
        lambda: rep.upload([("new.md", DOC)]),
        lambda: rep.delete(before[0]),
        lambda: rep.rebuild(),
        lambda: rep.import_crm(b"Deal Name,Associated Company\nA,B\n", "crm.csv"),
    ):
        with pytest.raises(AccessDenied):
            attempt()
    assert _documents(app) == before and app.deals.store.deals() == []
    actions = [e.action for e in rep.audit.entries() if e.who == REP.email]
    assert actions == [
        "denied: deal.import",
        "denied: knowledge.rebuild",
        "denied: knowledge.delete",
        "denied: knowledge.upload",
        "denied: knowledge.ingest",
    ]


def test_enablement_changes_the_knowledge_base_and_the_log_says_who_and_what(
    tmp_path: Path, root: Path
) -> None:
    app = _app(tmp_path, root)
    work = Workspace(app, ENABLEMENT)
    report = work.ingest([root])
    assert report.added == ["docs/onboarding.md"]
    uploaded = work.upload([("pricing notes.md", DOC + b"\nPrices are per seat.\n")])
    assert [f.status for f in uploaded.files] == ["added"]
    assert work.delete("docs/onboarding.md") is not None
    entries = work.audit.entries()
    assert [(e.who, e.role, e.action) for e in entries] == [
        ("erin@example.com", "enablement", "knowledge.delete"),
        ("erin@example.com", "enablement", "knowledge.upload"),
        ("erin@example.com", "enablement", "knowledge.ingest"),
    ]
    assert entries[2].target == str(root) and entries[2].detail["added"] == 1
    assert entries[0].target == "docs/onboarding.md" and entries[0].at


# -- server paths ---------------------------------------------------------------------------------


def test_server_paths_stay_inside_the_roots(tmp_path: Path, root: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "payroll.md").write_bytes(b"# Payroll\n\nEveryone's salary, by name.\n")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "docs" / "linked.md").symlink_to(outside / "payroll.md")
    roots = [root.resolve()]
    assert allowed_path(str(root / "docs"), roots) == (root / "docs").resolve()
    assert allowed_path("docs", roots) == (root / "docs").resolve()  # relative to the root
    for text, reason in (
        (f"{root}/../secret", "'..' is not allowed"),
        ("../secret", "'..' is not allowed"),
        (str(outside), "outside the folders this server may read"),
        (str(root / "escape"), "outside the folders this server may read"),
        ("/dev/zero", "outside the folders"),
        (str(root / "nowhere"), "no such file or folder"),
        ("", "give a folder or file"),
    ):
        with pytest.raises(AccessDenied, match=reason):
            allowed_path(text, roots)


def test_devices_symlinks_out_and_huge_files_are_never_read(tmp_path: Path, root: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_bytes(b"# Secret\n\nNot for the sales team.\n")
    (root / "docs" / "linked.md").symlink_to(outside)
    (root / "docs" / "zero.md").symlink_to("/dev/zero")
    with (root / "docs" / "huge.md").open("wb") as f:  # 2 GB, sparse: nothing to read
        f.truncate(2 * 1024**3)
    app = _app(tmp_path, root, max_file_mb=100)
    report = Workspace(app, ENABLEMENT).ingest([root])
    failed = {f["path"]: f["error"] for f in report.failed}
    assert "outside the folders this server may read" in failed["docs/linked.md"]
    assert "not a regular file" in failed["docs/zero.md"]
    assert "2,048 MB, over the 100 MB limit" in failed["docs/huge.md"]
    assert _documents(app) == ["docs/onboarding.md"]
    with pytest.raises(AccessDenied, match="not a regular file or folder"):
        allowed_path("/dev/zero", [Path("/dev")])  # a device, even inside a root


def test_include_macros_read_nothing_outside_the_ingested_folder(
    tmp_path: Path, root: Path
) -> None:
    (tmp_path / "secret.md").write_bytes(b"Everyone's salary, by name.\n")
    (root / "docs" / "linked-fragment.md").symlink_to(tmp_path / "secret.md")
    (root / "docs" / "page.md").write_bytes(
        b"# Page\n\nBefore. {! ../../secret.md !} {! linked-fragment.md !} {! /dev/zero !}\n"
    )
    app = _app(tmp_path, root)
    Workspace(app, ENABLEMENT).ingest([root])
    texts = " ".join(c.text for c in app.kb.store.all_chunks())
    assert "Before." in texts and "salary" not in texts


def test_a_thousand_tiny_uploads_are_refused_whole(tmp_path: Path, root: Path) -> None:
    app = _app(tmp_path, root)
    files = [(f"note-{i}.md", b"# Note\n\nA tiny note.\n") for i in range(1000)]
    with pytest.raises(IngestError, match="1,000 files at once; the limit is 50"):
        Workspace(app, ENABLEMENT).upload(files)
    with pytest.raises(IngestError):
        ingest_uploads(app.kb, files)
    assert _documents(app) == [] and not (app.kb.root / "uploads").exists()


# -- deals: a rep sees their own ------------------------------------------------------------------


@pytest.mark.slow
def test_a_rep_sees_their_own_deals_and_a_manager_every_deal(
    tmp_path: Path, root: Path, embedder
) -> None:
    app = Pitchcraft(KnowledgeBase(Settings(kb=tmp_path / "kb", ingest_roots=str(root)), embedder))
    rita, max_ = Workspace(app, REP), Workspace(app, MANAGER)
    logged = rita.log("Lakemont", NOTES, "notes.md", account="Lakemont Bank")
    assert logged.deal.owner == "rita@example.com"
    other = DealStore(app.kb.root / "deals.sqlite")
    other.create("Fernhill", "Fernhill Retail", owner="Tom Other")
    assert [d.name for d in rita.deals()] == ["Lakemont"]
    assert [d.name for d in max_.deals()] == ["Fernhill", "Lakemont"]
    with pytest.raises(AccessDenied, match="'Fernhill' is not one of yours"):
        rita.show("Fernhill")
    assert rita.find("Fern") is None  # a prefix finds only among her own deals
    with pytest.raises(AccessDenied):
        rita.log("Fernhill", NOTES, "notes.md")
    assert [d["name"] for d in rita.pipeline()["deals"]] == ["Lakemont"]
    assert max_.show("Lakemont")["forecast"]["category"] == "commit"
    actions = [(e.who, e.action) for e in rita.audit.entries()]
    assert ("rita@example.com", "deal.log") in actions
    assert ("rita@example.com", "denied: deal.read") in actions
    # Her notes named by the other rep's account make a deal of her own, never a meeting there.
    mine = rita.log("Fernhill Retail", NOTES, "notes.md", account="Fernhill Retail")
    assert mine.created and mine.deal.owner == "rita@example.com"
    assert other.meetings(other.exact("Fernhill")) == []


# -- serving beyond loopback ----------------------------------------------------------------------


def test_a_server_beyond_loopback_needs_sign_in(tmp_path: Path) -> None:
    assert serving_problem("127.0.0.1", None, False) == ""
    assert serving_problem("localhost", None, False) == ""
    assert serving_problem("::1", None, False) == ""
    refused = serving_problem("0.0.0.0", None, False)
    assert refused.startswith("refusing to serve on 0.0.0.0 without sign-in")
    assert "\n" not in refused
    assert serving_problem(None, None, False).startswith("refusing to serve on every address")
    assert serving_problem("0.0.0.0", AUTH, False) == ""
    assert serving_problem("0.0.0.0", None, True) == ""  # explicitly overridden
    assert auth_missing({**AUTH, "client_secret": ""}) == ["client_secret"]
    nested = {"redirect_uri": "x", "cookie_secret": "y", "okta": {k: "v" for k in AUTH}}
    assert auth_missing(nested) == []
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "x"\n', encoding="utf-8")
    assert read_auth([tmp_path / "none.toml", secrets]) == {"redirect_uri": "x"}


def test_serve_refuses_an_open_address_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "execv", lambda *_: pytest.fail("the app must not start"))
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pitchcraft: refusing to serve on 0.0.0.0 without sign-in")
    assert err.count("\n") == 1


def test_a_provider_in_its_own_section_is_read_whatever_mapping_holds_it() -> None:
    # Streamlit hands nested secrets sections over as a Mapping that is not a dict.
    from types import MappingProxyType

    section = MappingProxyType({k: AUTH[k] for k in ("client_id", "client_secret")})
    auth = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": AUTH["cookie_secret"],
        "idp": MappingProxyType({**section, "server_metadata_url": AUTH["server_metadata_url"]}),
    }
    assert auth_missing(auth) == []
    assert [p.get("client_secret") for p in providers(auth)] == [None, AUTH["client_secret"]]


def test_secrets_are_never_in_json_settings_or_the_audit_log(
    tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    key = "sk-live-SECRET-9876543210"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    settings = Settings(kb=tmp_path / "kb")
    assert key not in settings.model_dump_json() and key not in repr(settings)
    app = _app(tmp_path, root)
    Workspace(app, ENABLEMENT).ingest([root])
    dumped = json.dumps([e.to_json() for e in Workspace(app, ENABLEMENT).audit.entries()])
    assert key not in dumped
    main(["--kb", str(tmp_path / "kb"), "--json", "status"])
    assert key not in capsys.readouterr().out
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        textwrap.dedent(
            """
            [auth]
            cookie_secret = "cookie-secret-0123456789"
            client_secret = "client-secret-0123456789"
            """
        ),
        encoding="utf-8",
    )
    main(["--kb", str(tmp_path / "kb"), "serve", "--host", "0.0.0.0"])
    err = capsys.readouterr().err
    assert "0123456789" not in err and "needs redirect_uri" in err
