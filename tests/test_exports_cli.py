"""`workshop export` on the known session: to standard output, to a file, and what it refuses."""


from openpyxl import load_workbook

from helpers import AUTH
from workshop.cli import main as workshop_main

# The command line

def test_cli_writes_the_text_formats_to_standard_output(known, capsys):
    assert workshop_main(["export", known["code"], "--format", "md", "--db", str(known["db"])]) == 0
    assert capsys.readouterr().out == known["bodies"]["md"].text
    assert workshop_main(["export", known["code"].lower(), "--format", "votes.csv", "--db", str(known["db"])]) == 0
    assert capsys.readouterr().out == known["bodies"]["votes.csv"].content.decode("utf-8")


def test_cli_writes_a_file(known, tmp_path):
    target = tmp_path / "brief.xlsx"
    assert workshop_main(["export", known["code"], "--format", "xlsx", "--db", str(known["db"]),
                          "-o", str(target)]) == 0
    book = load_workbook(target)
    assert book.sheetnames == ["Records", "Figures", "Votes", "Examples", "Session"]
    assert book["Records"]["A2"].value == "Arrival"
    target = tmp_path / "export.json"
    assert workshop_main(["export", known["code"], "--format", "json", "--db", str(known["db"]),
                          "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == known["bodies"]["json"].text


def test_cli_refuses_an_unknown_session_or_format(known, capsys):
    assert workshop_main(["export", "NOPE42", "--format", "md", "--db", str(known["db"])]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no session with code 'NOPE42'" in captured.err
    assert workshop_main(["export", known["code"], "--format", "pdf", "--db", str(known["db"])]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown format 'pdf'" in captured.err and "xlsx" in captured.err


def test_served_report_page_and_cli_refuses_binary_to_stdout(known, capsys):
    client, code = known["client"], known["code"]
    page = client.get(f"/s/{code}/report", headers=AUTH)
    assert page.status_code == 200 and '<link rel="stylesheet" href="/static/css/report.css">' in page.text
    assert "<style" not in page.text and page.text.count("<svg") == 6
    assert "style-src 'self'" in page.headers["content-security-policy"]
    assert client.get(f"/s/{code}/report").status_code == 401
    assert workshop_main(["export", code, "--format", "xlsx", "--db", str(known["db"])]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "write it to a file with -o FILE" in captured.err
