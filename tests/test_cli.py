"""The command line as a user meets it: exit codes 0/1/2 and clear messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.cli import main
from tests.conftest import ROOT


def _break_flow(project: Path) -> None:
    path = project / "flows" / "intake.yaml"
    path.write_text(path.read_text().replace("go: weight\n", "go: wieght\n", 1))


def test_check_flows_passes_on_shipped_flows(project: Path, capsys) -> None:
    assert main(["check-flows", "--config", str(project / "config.yaml")]) == 0
    assert "5 flow(s) OK, 0 warning(s)" in capsys.readouterr().out


def test_check_flows_exits_1_with_file_and_line_on_errors(project: Path, capsys) -> None:
    _break_flow(project)
    assert main(["check-flows", "--config", str(project / "config.yaml")]) == 1
    err = capsys.readouterr().err
    assert "intake.yaml:49: state 'story': go to unknown state 'wieght'" in err
    assert "did you mean 'weight'" in err


def test_check_flows_checks_the_angket_and_names_a_wrong_area_with_its_line(
        project: Path, capsys) -> None:
    assert main(["check-flows", "--config", str(project / "config.yaml")]) == 0
    assert "angket contoh-kebutuhan: 8 item(s) OK" in capsys.readouterr().out
    path = project / "flows" / "angket" / "contoh.yaml"
    text = path.read_text()
    line = text.splitlines().index("    area: karier") + 1
    path.write_text(text.replace("    area: karier", "    area: hobi", 1))
    assert main(["check-flows", "--config", str(project / "config.yaml")]) == 1
    assert f"contoh.yaml:{line}: item k1: unknown area 'hobi'" in capsys.readouterr().err


def test_a_broken_flow_stops_run_before_anything_opens(project: Path, capsys) -> None:
    _break_flow(project)
    assert main(["--config", str(project / "config.yaml"), "run"]) == 2
    assert "unknown state 'wieght'" in capsys.readouterr().err
    assert not (project / "data").exists()  # no database, no secret: nothing half-started


def test_a_broken_config_exits_2_with_line_and_hint(project: Path, capsys) -> None:
    path = project / "config.yaml"
    path.write_text(path.read_text().replace("timezone: Asia/Jakarta", "timezone: WIB"))
    assert main(["demo", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "config.yaml:7: school.timezone: unknown time zone 'WIB'" in err


def test_unknown_start_flow_in_config(project: Path, capsys) -> None:
    path = project / "config.yaml"
    path.write_text(path.read_text().replace("start: intake", "start: intak"))
    assert main(["run", "--config", str(path)]) == 2
    assert "flows.start: no flow named 'intak'" in capsys.readouterr().err


def test_draw_flows_writes_mermaid(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    assert main(["draw-flows", "--config", str(project / "config.yaml"), "--out", str(out)]) == 0
    text = (out / "intake.mmd").read_text()
    assert "stateDiagram-v2" in text and "decide --> to_counselor" in text


def test_docs_diagram_is_up_to_date(project: Path, tmp_path: Path) -> None:
    main(["draw-flows", "--config", str(project / "config.yaml"), "--out", str(tmp_path)])
    shipped = (ROOT / "docs" / "flows" / "intake.mmd").read_text()
    assert shipped == (tmp_path / "intake.mmd").read_text(), "run: sebaya draw-flows"


def test_demo_plays_a_peer_case_and_a_counselor_case(project: Path, capsys) -> None:
    assert main(["demo", "--config", str(project / "config.yaml")]) == 0
    out = capsys.readouterr().out
    assert "[peer:Bintang] 🤖 Ada teman yang ingin cerita" in out
    assert "[student:1] 🤖 Bintang, konselor sebaya, sekarang menemanimu" in out
    assert "[student:1] 🤖 Bintang (konselor sebaya): Hai, aku Bintang." in out
    assert "[student:1] 🤖 Komentarmu sudah kami simpan" in out
    assert "[counselor:Bu Rina] 🤖 Cerita baru" in out
    assert "Topik: Perundungan (bullying) · Berat: 3/3" in out
    assert "[student:3] 🤖 Makasih sudah mau cerita. Ingat, kamu nggak" in out  # crisis reply
    assert "[counselor:Bu Rina] 🤖 🚨 BUTUH GURU BK SEKARANG" in out
    assert "[student:3] 🤖 Guru BK: Ibu di sini ya. Kamu sekarang aman?" in out
    assert "[student:3] 🤖 Sesi dengan guru BK sudah selesai" in out


def test_run_without_token_is_the_console_and_says_so(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["SEBAYA_WEB_PORT"] = "off"  # the console serves the web view too: not here
    env["SEBAYA_SECRET"] = "a-long-enough-test-secret"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(project / "config.yaml")],
        input="halo\n1\n/as peer:Bintang\n/help\n", capture_output=True, text=True,
        timeout=60, env=env, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "No TELEGRAM_BOT_TOKEN set: starting the local console" in result.stderr
    assert "Hai, aku Sebaya" in result.stdout
    assert "Soal apa yang lagi kamu pikirin?" in result.stdout
    assert "Halo peer:Bintang! Kamu terdaftar sebagai konselor sebaya." not in result.stdout
    assert "Halo Bintang! Kamu terdaftar sebagai konselor sebaya." in result.stdout


def test_console_peers_are_on_duty_whatever_the_hour(project: Path) -> None:
    """Trying the console in the evening must still show a peer handoff."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["SEBAYA_WEB_PORT"] = "off"
    env["SEBAYA_SECRET"] = "a-long-enough-test-secret"
    path = project / "config.yaml"
    path.write_text(path.read_text().replace('start: "07:00"', 'start: "00:00"').replace(
        'end: "15:00"', 'end: "00:01"').replace("days: [mon, tue, wed, thu, fri]", "days: [sun]"))
    script = "/as peer:Bintang\n/as student\nhalo\n1\n2\naku berantem sama temen\n2\n2\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(path)], input=script,
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert "[peer:Bintang] 🤖 Ada teman yang ingin cerita" in result.stdout
    assert (project / "data" / "sebaya.sqlite3").exists()


def test_risk_explains_a_verdict(capsys) -> None:
    assert main(["risk", "aku pgn b*nuh d1ri wkwk"]) == 0  # laughter alone lowers nothing
    out = capsys.readouterr().out
    assert "level:       crisis" in out and "SI.direct" in out and "slang pgn->pengen" in out
    assert main(["risk", "lupa PR lagi, pgn b*nuh d1ri wkwk"]) == 0  # a trivial trigger too:
    out = capsys.readouterr().out  # lowered, but a first-person death wish stays >= concern
    assert "level:       concern" in out and "SI.direct" in out and "model:" in out


def test_risk_jsonl_batch(monkeypatch, capsys) -> None:
    import io
    import json

    monkeypatch.setattr("sys.stdin", io.StringIO(
        '{"text": "pengen mati"}\n\n{"text": "mati lampu"}\nnot json\n'))
    assert main(["risk", "--jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("level") for line in lines] == ["crisis", "none", None]
    assert lines[0]["rules"] == ["SI.want_die"] and "line 4" in lines[2]["error"]
