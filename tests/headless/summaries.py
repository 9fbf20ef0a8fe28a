"""summary.json payloads as the runner writes them, for the history, report and Prometheus tests."""


def _finding(kind, subject, severity="warn", message="m"):
    return {"kind": kind, "subject": subject, "severity": severity, "message": message}


def _summary(runbooks, started="2026-11-24T01:00:00Z", source="cloud prod"):
    return {
        "source": source,
        "started_at": started,
        "exit_code": 1,
        "duration_s": 12.5,
        "runbooks": [
            {
                "runbook": name,
                "verdict": verdict,
                "exit_code": 1,
                "duration_s": 3.0,
                "counts": {"info": 0, "warn": len(f), "crit": 0, "error": 0},
                "findings": f,
            }
            for name, verdict, f in runbooks
        ],
    }


A, B, C = _finding("osd-nearfull", "osd.0 (h1)"), _finding("osd-nearfull", "osd.1 (h1)"), _finding("x", "y")
