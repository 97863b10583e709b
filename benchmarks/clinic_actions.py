"""Server CPU of one therapist's actions, in process: what each click costs the event loop.

``python benchmarks/clinic_actions.py --db URL`` (a clinic written by ``clinic_sessions.py``
or ``fibro demo --patients 200``; ``--password`` is the demo therapists') builds the hosted
page of therapist ``--therapist`` in a Bokeh document (no server, no browser), chooses
``--patient``, opens Effects and then the Overview, and times ``--toggles`` pressure-filter
changes and ``--saves`` sessions logged with the visit view's form (each at its own minute).
Per action it prints the process CPU time of the server-side work (median, max) and of
serializing the document changes it made into the message the browser would get, and that
message's size.  Compare two checkouts back to back on the same database: ``PYTHONPATH=<checkout>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--therapist", default="sam")
    parser.add_argument("--patient", default="Patient 010")
    parser.add_argument("--password", default="load test password")
    parser.add_argument("--toggles", type=int, default=10)
    parser.add_argument("--saves", type=int, default=4)
    args = parser.parse_args(argv)

    import panel as pn
    from bokeh.document import Document
    from bokeh.document.events import DocumentPatchedEvent
    from bokeh.protocol import Protocol
    from panel.io.state import set_curdoc

    from dashboard import domain
    from dashboard.accounts import Accounts
    from dashboard.session import DiarySession, shared_store
    from dashboard.ui import hosted
    from dashboard.ui.forms import SessionForm

    store = shared_store(args.db)
    token = Accounts(store).sign_in(args.therapist, args.password)
    doc, events = Document(), []
    doc.on_change(events.append)
    with set_curdoc(doc):
        hosted.load_extensions()
        page = hosted.HostedPage(DiarySession.hosted(store, token))
        page.template.server_doc(doc)
        for callback in list(pn.state._onload.get(doc, [])):  # what runs once the page is there
            (callback[0] if isinstance(callback, tuple) else callback)()
    data = page.data
    tabs = next(part for part in page.main if isinstance(part, pn.Tabs))

    def timed(name: str, action, times: int = 1) -> None:
        work, serial, size = [], [], []
        for i in range(times):
            events.clear()
            doc.hold("combine")
            started = time.process_time()
            with set_curdoc(doc):
                action(i)
            done = time.process_time()
            doc.unhold()
            patched = [e for e in events if isinstance(e, DocumentPatchedEvent)]
            message = Protocol().create("PATCH-DOC", patched) if patched else None
            work.append(done - started)
            serial.append(time.process_time() - done)
            size.append(0 if message is None else len(message.header_json)
                        + len(message.content_json) + sum(len(b.data) for b in message.buffers))
        print(f"| {name} | {times} | {statistics.median(work) * 1000:.0f} | {max(work) * 1000:.0f} "
              f"| {statistics.median(serial) * 1000:.0f} | {statistics.median(size) / 1000:.1f} |",
              flush=True)

    print("| action | n | server CPU ms, median | max | serializing ms | message kB |")
    print("|---|---|---|---|---|---|")
    patient = data.filters.param.patient.objects[args.patient]
    timed("patient change", lambda _i: setattr(data.filters, "patient", patient))
    titles = list(tabs._names)
    timed("Effects opened", lambda _i: setattr(tabs, "active", titles.index("Effects")))
    timed("Overview opened", lambda _i: setattr(tabs, "active", titles.index("Overview")))
    every = list(domain.PRESSURES)
    timed("pressure filter", lambda i: setattr(data.filters, "pressures",
                                               every[:-1] if i % 2 == 0 else every), args.toggles)
    gc.collect()
    form = next(o for o in gc.get_objects() if isinstance(o, SessionForm))
    now = dt.datetime.now().replace(second=0, microsecond=0)
    minutes = random.sample(range(60, 5000), args.saves)

    def save(i: int) -> None:
        form.fields["areas"].value = [domain.BODY_AREAS[0]]
        form.fields["start"].value = now - dt.timedelta(minutes=minutes[i])
        form._on_save()
        if "Saved" not in str(form.message.object):
            raise RuntimeError(f"not saved: {form.message.object}")

    timed("session saved", save, args.saves)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
