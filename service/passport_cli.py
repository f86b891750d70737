"""``skillpass passport …``: issue, change, export, verify and show skills passports.

Passports live in a wallet folder (``$SKILLPASS_HOME/passports`` or the XDG data folder),
issuer keys in a key folder outside any repository (``$SKILLPASS_KEY_DIR`` or the XDG
config folder). Every command that fails says which file or field is at fault and exits
non-zero; nothing is written unless the whole change succeeded.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from passport.credential import (
    issue_credential,
    passport_from_credential,
    verify_credential,
)
from passport.evidence import combine_evidence
from passport.files import write_text_atomically
from passport.history import HistoryError
from passport.issuance import (
    IssuanceRequest,
    issue_from_request,
    set_consent,
    withdraw_consent,
)
from passport.keys import KeyStore, PublicKeyring, SigningKeyError
from passport.models import LanguageSkill, Location, Passport, Preferences, SkillProfile
from passport.portable import (
    PassportFormatError,
    export_passport_json,
    import_passport_json,
)
from passport.skillprint import render_skillprint, skillprint_svg
from passport.taxonomy import CEFR_LEVELS, load_taxonomy
from passport.wallet import Wallet

passport_app = typer.Typer(help="Skills passports: issue, consent, export, verify, show.", no_args_is_help=True)
keys_app = typer.Typer(help="The issuer's signing keys.", no_args_is_help=True)
passport_app.add_typer(keys_app, name="keys")
console = Console(emoji=False)  # ':key:' in did:key ids must not turn into an emoji

WalletOption = typer.Option(None, "--wallet", help="Passport folder (default: $SKILLPASS_HOME/passports).")
KeyDirOption = typer.Option(None, "--key-dir", help="Issuer key folder (default: $SKILLPASS_KEY_DIR).")
ActorOption = typer.Option("issuer", help="Who makes the change; recorded in the history.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _fail(message: str, code: int = 2):
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # exports hold a person's data: private to the user who wrote them
    write_text_atomically(path, text, private=True)


@keys_app.command("init")
def keys_init(key_dir: Path = KeyDirOption, issuer: str = typer.Option("skillpass", help="Issuer name.")):
    """Create the issuer's first signing key (Ed25519)."""
    try:
        key = KeyStore(key_dir).init(now=_now(), issuer=issuer)
    except SigningKeyError as error:
        _fail(str(error))
    console.print(f"created {key.key_id}, valid until {key.not_after:%Y-%m-%d}")


@keys_app.command("rotate")
def keys_rotate(key_dir: Path = KeyDirOption):
    """Retire the active key and make a new one; passports signed before stay valid."""
    try:
        key = KeyStore(key_dir).rotate(now=_now())
    except SigningKeyError as error:
        _fail(str(error))
    console.print(f"active key is now {key.key_id}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, reason: str = typer.Option(..., help="Why, e.g. 'key compromised'."),
                key_dir: Path = KeyDirOption):
    """Revoke a key: nothing it signed verifies any more."""
    try:
        KeyStore(key_dir).revoke(key_id, now=_now(), reason=reason)
    except SigningKeyError as error:
        _fail(str(error))
    console.print(f"revoked {key_id}")


@keys_app.command("list")
def keys_list(key_dir: Path = KeyDirOption):
    """The keyring: every key, its dates and status."""
    try:
        keyring = KeyStore(key_dir).keyring()
    except SigningKeyError as error:
        _fail(str(error))
    table = Table("key", "created", "valid until", "status")
    for key in keyring.keys:
        status = ("revoked" if key.revoked_at else "retired" if key.retired_at
                  else "active" if key.key_id == keyring.active_key_id else "inactive")
        table.add_row(key.key_id, f"{key.created:%Y-%m-%d}", f"{key.not_after:%Y-%m-%d}", status)
    console.print(table)


@keys_app.command("export")
def keys_export(out: Path = typer.Argument(..., help="Where to write the public keyring for verifiers."),
                key_dir: Path = KeyDirOption):
    """Write the public keyring (no private key) for others to verify with."""
    try:
        keyring = KeyStore(key_dir).keyring()
    except SigningKeyError as error:
        _fail(str(error))
    _write_atomically(out, keyring.model_dump_json(indent=2) + "\n")
    console.print(f"wrote {out}")


@passport_app.command("issue")
def issue(request_file: Path = typer.Argument(None, help="Issuance request JSON (profile with SEs and details)."),
          synthetic_seeker: int = typer.Option(None, help="Instead of a file: seeker N of the demo market."),
          wallet: Path = WalletOption, actor: str = ActorOption):
    """Issue a passport (version 1) into the wallet."""
    taxonomy = load_taxonomy()
    if (request_file is None) == (synthetic_seeker is None):
        _fail("give either a request file or --synthetic-seeker")
    try:
        request = (_synthetic_request(taxonomy, synthetic_seeker) if request_file is None
                   else IssuanceRequest.model_validate_json(request_file.read_bytes()))
        history = issue_from_request(taxonomy, request, actor=actor, at=_now())
        target = Wallet(wallet)
        if history.passport_id in target.ids():
            _fail(f"passport_id: {history.passport_id!r} exists already in {target.directory}")
        path = target.save(history)
    except ValidationError as error:
        first = error.errors()[0]
        _fail(f"{request_file}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    except (ValueError, OSError) as error:
        _fail(f"{request_file or 'synthetic seeker'}: {error}")
    measured = len(history.current.profile.skills)
    console.print(f"issued {history.passport_id} (version 1, {measured} of {taxonomy.n_soft_skills} skills measured) "
                  f"→ {path}")


@passport_app.command("list")
def list_passports(wallet: Path = WalletOption):
    """Passports in the wallet."""
    target = Wallet(wallet)
    table = Table("passport", "holder", "version", "measured skills", "visible to employers", "batch matching")
    for passport_id in target.ids():
        current = target.load(passport_id).current
        consent = current.consent
        visible = (", ".join(consent.employer_ids) or "all") if consent.visible_to_employers else "no"
        table.add_row(passport_id, current.holder_id, str(current.version), str(len(current.profile.skills)), visible,
                      "yes" if consent.include_in_batch_matching else "no")
    console.print(table)


@passport_app.command("history")
def history(passport_id: str, wallet: Path = WalletOption):
    """Every version: when, who, why, and which fields changed."""
    record = _load(wallet, passport_id)
    table = Table("version", "recorded", "by", "reason", "changed")
    for entry in record.versions:
        paths = [c.path for c in entry.changes]
        shown = ", ".join(paths[:6]) + (f" … (+{len(paths) - 6})" if len(paths) > 6 else "")
        table.add_row(str(entry.version), f"{entry.recorded_at:%Y-%m-%d %H:%M}", entry.actor, entry.reason, shown)
    console.print(table)


@passport_app.command("consent")
def consent(passport_id: str,
            visible: bool = typer.Option(None, "--visible/--hidden", help="Visible to employers or not."),
            employer: list[str] = typer.Option(None, help="Only these employers (repeat)."),
            all_employers: bool = typer.Option(False, "--all-employers", help="Visible to every employer."),
            batch: bool = typer.Option(None, "--batch/--no-batch", help="Included in batch matching or not."),
            withdraw: bool = typer.Option(False, help="Withdraw all consent at once."),
            wallet: Path = WalletOption, actor: str = typer.Option("holder", help="The holder or their job coach.")):
    """Give, narrow or withdraw consent; every change is a dated version."""
    target = Wallet(wallet)
    record = _load(wallet, passport_id)
    current = record.current.consent
    try:
        if withdraw:
            record = withdraw_consent(record, actor=actor, at=_now())
        else:
            visible_now = current.visible_to_employers if visible is None else visible
            if employer and all_employers:
                _fail("--employer and --all-employers exclude each other")
            if visible_now and not current.visible_to_employers and not (employer or all_employers):
                # hidden → visible must say to whom; an earlier named list is not silently widened to all
                _fail("--visible: say to whom with --employer E (repeat) or --all-employers")
            # Changing one setting must never widen another: the named employers stay unless
            # the holder names others or explicitly opens the passport to all.
            employer_ids = employer or ([] if not visible_now or all_employers else current.employer_ids)
            record = set_consent(record, actor=actor, at=_now(), visible_to_employers=visible_now,
                                 employer_ids=employer_ids,
                                 include_in_batch_matching=(current.include_in_batch_matching if batch is None
                                                            else batch))
        target.save(record)
    except (HistoryError, ValueError) as error:
        _fail(str(error))
    console.print(f"{passport_id} version {record.current.version}: {record.versions[-1].reason}")


@passport_app.command("export")
def export(passport_id: str, out: Path = typer.Option(..., help="File to write."),
           format: str = typer.Option("credential", help="credential (signed) or json (plain)."),
           valid_days: int = typer.Option(730, min=1, max=3650, help="How long the credential stays valid."),
           wallet: Path = WalletOption, key_dir: Path = KeyDirOption):
    """Export the current version: a signed credential or plain JSON."""
    passport = _load(wallet, passport_id).current
    try:
        if format == "json":
            text = export_passport_json(passport)
        elif format == "credential":
            store = KeyStore(key_dir)
            document = issue_credential(passport, load_taxonomy(), store.signing_key(now=_now()),
                                        issuer_name=store.keyring().issuer, now=_now(),
                                        valid_for=timedelta(days=valid_days))
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        else:
            _fail("--format: expected credential or json")
    except (SigningKeyError, PassportFormatError, ValueError) as error:
        _fail(str(error))
    _write_atomically(out, text)
    console.print(f"wrote {out}")


@passport_app.command("verify")
def verify(file: Path = typer.Argument(..., help="A passport credential (JSON)."),
           keyring: Path = typer.Option(None, help="Trusted public keyring (default: the local issuer's)."),
           key_dir: Path = KeyDirOption):
    """Check a credential's signature, schema, issuer key and dates; say exactly what is wrong."""
    try:
        trusted = PublicKeyring.load(keyring) if keyring else KeyStore(key_dir).keyring()
        content = file.read_bytes()
    except (SigningKeyError, OSError) as error:
        _fail(str(error))
    report = verify_credential(content, trusted, now=_now())
    # plain echo, not rich: a verdict is read by scripts too and must not be wrapped mid-path
    if report.valid:
        typer.echo(f"valid: passport {report.passport_id} version {report.passport_version}, "
                   f"signed {report.signed_at} by {report.key_id}")
        return
    typer.echo(f"NOT valid: {file}")
    for problem in report.problems:
        typer.echo(f"  - {problem}")
    raise typer.Exit(1)


@passport_app.command("show")
def show(source: str = typer.Argument(..., help="A passport id in the wallet, or a passport / credential file."),
         out: Path = typer.Option(Path("skillpass-output/skillprint"), help="Folder for the HTML page and chart."),
         language: str = typer.Option("nl", help="nl or en."), wallet: Path = WalletOption,
         keyring: Path = typer.Option(None, help="Trusted public keyring for a credential file."),
         key_dir: Path = KeyDirOption):
    """Write the readable skillprint: an HTML page and an SVG chart."""
    taxonomy = load_taxonomy()
    passport = _passport_from(source, wallet, keyring, key_dir)
    basis = {skill_id: c.basis for skill_id, c in combine_evidence(passport.evidence).items()}
    try:
        page = render_skillprint(passport, taxonomy, language=language, basis=basis)
        chart = skillprint_svg(passport, taxonomy, language=language, basis=basis)
    except ValueError as error:
        _fail(str(error))
    stem = f"skillprint-{passport.passport_id}-{language}"
    _write_atomically(out / f"{stem}.html", page)
    _write_atomically(out / f"{stem}.svg", chart)
    console.print(f"wrote {out / (stem + '.html')} and {out / (stem + '.svg')}")


def _load(wallet, passport_id):
    try:
        return Wallet(wallet).load(passport_id)
    except HistoryError as error:
        _fail(str(error))


def _passport_from(source: str, wallet, keyring: Path | None, key_dir: Path | None) -> Passport:
    path = Path(source)
    if not path.is_file():
        return _load(wallet, source).current
    try:
        text = path.read_text()
        document = json.loads(text)
        if isinstance(document, dict) and "credentialSubject" in document:
            # a skillprint vouches for what it shows: a credential is printed only when it verifies
            trusted = PublicKeyring.load(keyring) if keyring else KeyStore(key_dir).keyring()
            report = verify_credential(text, trusted, now=_now())
            if not report.valid:
                _fail(f"{path}: not printed, the credential does not verify: "
                      + "; ".join(str(problem) for problem in report.problems))
            return passport_from_credential(document)
        return import_passport_json(text, load_taxonomy())
    except (ValueError, KeyError, SigningKeyError) as error:
        _fail(f"{path}: {error}")


def _synthetic_request(taxonomy, seeker: int) -> IssuanceRequest:
    """A request from the demo market's observed passports, to try the commands without data."""
    from matching.synthetic import generate_market

    market = generate_market(n_seekers=max(200, seeker + 1), n_vacancies=50, n_trainings=10, seed=0,
                             taxonomy=taxonomy)
    s = market.seekers
    if not 0 <= seeker < len(s.ids):
        raise ValueError(f"--synthetic-seeker: expected 0–{len(s.ids) - 1}")
    profile = SkillProfile.from_arrays(taxonomy, s.levels[seeker], s.se[seeker], s.measured[seeker])
    hard = [{"hard_skill_id": h, "evidence": "verified"}
            for h, held in zip(taxonomy.hard_skill_ids, s.hard[seeker], strict=True) if held]
    languages = ([LanguageSkill(language="nl", cefr=CEFR_LEVELS[int(s.dutch_cefr[seeker]) - 1])]
                 if s.dutch_cefr[seeker] > 0 else [])
    return IssuanceRequest(
        passport_id=f"demo-{seeker}", holder_id=str(s.ids[seeker]), education_eqf=int(s.eqf[seeker]),
        location=Location(lat=float(s.lat[seeker]), lon=float(s.lon[seeker])), profile=profile,
        measured_at=_now(), recorded_by="synthetic-skillsprint", session_id=f"demo-session-{seeker}",
        hard_skills=hard, languages=languages,
        preferences=Preferences(hours_min=int(s.hours_min[seeker]), hours_max=int(s.hours_max[seeker]),
                                max_travel_km=float(s.max_travel_km[seeker])),
        provenance={"method": "synthetic"})
