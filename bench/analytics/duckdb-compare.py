"""
What an embedded columnar engine would do with the same log (issue 9: "DuckDB over the same log
is an option to measure, not a default"). Reads a loaded data directory of bench/analytics/run.ts
(`--reuse DIR`), copies `analytics_events` (with each actor's stitched person from
`analytics_person_links`) into an in-memory DuckDB table, then times SQL equivalents of the
insights the bench measures over HTTP: an ordered 3-step funnel within 14 days over 30 days,
first-time weekly retention over 8 weeks, 5-step paths from a type over 7 days (top 50 edges),
daily trends of two types over 30 days, and the overview's per-day events, people and sessions
over 30 days. Each query runs with a rotating definition, as the HTTP bench does. The funnel
counts what the server counts; the others compute the same aggregates in SQL (trends checked
against the server: the same counts and people).

In-process query time only (no HTTP, no JSON); the copy's time is reported beside it. Not part of
the npm scripts: it needs Python 3 with the duckdb package (`pip install duckdb`).

    python3 bench/analytics/duckdb-compare.py DIR [--threads 1,2] [--runs 20] [--json out.json]
"""
import argparse
import csv
import json
import os
import sqlite3
import statistics
import tempfile
import time

import duckdb

DAY = 86_400_000

parser = argparse.ArgumentParser()
parser.add_argument('dir')
parser.add_argument('--threads', default='1,2')
parser.add_argument('--runs', type=int, default=20)
parser.add_argument('--json')
args = parser.parse_args()

started = time.perf_counter()
src = sqlite3.connect(f"file:{os.path.join(args.dir, 'eventrag.db')}?mode=ro", uri=True)
csv_path = os.path.join(tempfile.mkdtemp(prefix='eventrag-duck-'), 'events.csv')
rows = 0
with open(csv_path, 'w', newline='') as out:
    writer = csv.writer(out)
    writer.writerow(['person', 'actor', 'type', 'time', 'seq', 'session'])
    for r in src.execute("""select coalesce(l.person, e.actor), e.actor, e.type, e.time, e.seq, e.session_key
                            from analytics_events e left join analytics_person_links l on l.tenant_id = e.tenant_id and l.id = e.actor"""):
        writer.writerow(r)
        rows += 1
export_s = time.perf_counter() - started
now_ms = int(src.execute('select max(time) from analytics_events').fetchone()[0]) + 1
src.close()

db = duckdb.connect()
started = time.perf_counter()
db.execute(f"create table ev as select * from read_csv('{csv_path}', header = true, columns = "
           "{'person': 'VARCHAR', 'actor': 'VARCHAR', 'type': 'VARCHAR', 'time': 'BIGINT', 'seq': 'BIGINT', 'session': 'VARCHAR'}) order by type, time")
load_s = time.perf_counter() - started
os.remove(csv_path)

FUNNELS = [['product.viewed', 'cart.item_added', 'order.placed'], ['query.executed', 'document.viewed', 'answer.requested'], ['ticket.opened', 'message.sent', 'ticket.closed']]
RETENTION = [['user.signed_in', 'query.executed'], ['page.viewed', 'page.viewed'], ['product.viewed', 'order.placed']]
PATH_STARTS = ['query.executed', 'page.viewed', 'ticket.opened']
TRENDS = [['page.viewed', 'query.executed'], ['order.placed', 'checkout.started'], ['message.sent', 'ticket.opened']]
MONDAY = 4 * DAY


def funnel(i):
    a, b, c = FUNNELS[i % 3]
    to = now_ms - (i * 997) % 60_000
    frm = to - 30 * DAY
    w = 14 * DAY
    # The server's ordered funnel: per person the attempt that goes furthest. For each first-step
    # event in range, the earliest next step at or after it (an ASOF join) is the best choice, so
    # the deepest attempt is the max over the first-step events (checked against the server's
    # answer on the 1M log: the same 7,639 / 5,260 / 3,734 people).
    return db.execute("""
      with a as (select person, time t1 from ev where type = $a and time >= $frm and time <= $to),
      b as (select a.person, a.t1, e.time t2 from a asof left join (select person, time from ev where type = $b) e on e.person = a.person and e.time >= a.t1),
      c as (select b.person, b.t1, b.t2, e.time t3 from b asof left join (select person, time from ev where type = $c) e on e.person = b.person and e.time >= b.t2),
      d as (select person, max(case when t2 is null or t2 > t1 + $w then 1 when t3 is null or t3 > t1 + $w then 2 else 3 end) d from c group by person)
      select count(*), count(*) filter (d >= 2), count(*) filter (d >= 3) from d""",
                      {'a': a, 'b': b, 'c': c, 'frm': frm, 'to': to, 'w': w}).fetchall()


def retention(i):
    event, returning = RETENTION[i % 3]
    week = 7 * DAY
    to = now_ms
    frm = ((to - 1 - MONDAY) // week) * week + MONDAY - 7 * week
    return db.execute("""
      with firsts as (select person, min(time) t from ev where type = $event and time < $to group by person having min(time) >= $frm),
      cohorts as (select person, ((t - $monday) // $week) c from firsts),
      back as (select distinct person, ((time - $monday) // $week) p from ev where type = $returning and time >= $frm and time < $to)
      select c, p - c k, count(*) from cohorts join back using (person) where p >= c and p - c < 8 group by all order by all""",
                      {'event': event, 'returning': returning, 'to': to, 'frm': frm, 'monday': MONDAY, 'week': week}).fetchall()


def paths(i):
    start = PATH_STARTS[i % 3]
    to = now_ms
    frm = to - 7 * DAY
    return db.execute("""
      with e as (select actor, session, type, time, row_number() over (partition by actor, session order by time, seq) rn
                 from ev where time >= $frm and time < $to),
      s as (select actor, session, min(rn) r0 from e where type = $start group by all),
      p as (select e.actor, e.session, e.rn - s.r0 + 1 step, e.type, e.time from e join s using (actor, session) where e.rn >= s.r0 and e.rn < s.r0 + 5)
      select a.step, a.type, b.type, count(*) n, avg(b.time - a.time) from p a join p b on a.actor = b.actor and a.session = b.session and b.step = a.step + 1
      group by all order by n desc limit 50""", {'frm': frm, 'to': to, 'start': start}).fetchall()


def trends(i):
    a, b = TRENDS[i % 3]
    to = now_ms - (i * 997) % 60_000
    return db.execute("select time // 86400000 d, type, count(*) from ev where type in ($a, $b) and time >= $frm and time < $to group by all order by all",
                      {'a': a, 'b': b, 'frm': to - 30 * DAY, 'to': to}).fetchall()


def overview(i):
    frm = (now_ms // DAY + 1 - 30) * DAY
    to = frm + 30 * DAY
    days = db.execute("""select time // 86400000 d, count(*), count(distinct person), count(distinct (actor, session)) from ev
                         where time >= $frm and time < $to group by all order by all""", {'frm': frm, 'to': to}).fetchall()
    totals = db.execute("select count(*), count(distinct person), count(distinct (actor, session)) from ev where time >= $frm and time < $to", {'frm': frm, 'to': to}).fetchall()
    top = db.execute("select type, count(*) n from ev where time >= $frm and time < $to group by type order by n desc limit 10", {'frm': frm, 'to': to}).fetchall()
    return days, totals, top


def pct(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, max(0, -(-p * len(sorted_ms) // 100) - 1))]


results = {'rows': rows, 'exportSeconds': export_s, 'loadSeconds': load_s, 'queries': []}
print(f'{rows:,} analytics_events rows copied from SQLite in {export_s:.1f} s (CSV), loaded into DuckDB {duckdb.__version__} in {load_s:.1f} s')
for threads in [int(t) for t in args.threads.split(',')]:
    db.execute(f'set threads = {threads}')
    for name, query in [('funnels', funnel), ('retention', retention), ('paths', paths), ('trends', trends), ('overview', overview)]:
        query(0)  # warm-up
        times = []
        for i in range(args.runs):
            t = time.perf_counter()
            query(i + 1)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        figure = {'name': name, 'threads': threads, 'runs': len(times), 'p50': pct(times, 50), 'p95': pct(times, 95), 'max': times[-1]}
        results['queries'].append(figure)
        print(f"{name:10} threads={threads}: p50 {figure['p50']:.1f} ms, p95 {figure['p95']:.1f} ms, max {figure['max']:.1f} ms ({len(times)} runs)")
if args.json:
    with open(args.json, 'w') as f:
        json.dump(results, f, indent=2)
