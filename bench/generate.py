"""Generate the benchmark workspace (seeded, vectorised numpy) and import its facts.

    python -m bench.generate generate --facts 5000000 [--outlets 20000 --staff 100000 ...]
    python -m bench.generate import --ws bench/out/ws-5000000

The workspace: org/units.csv (company → branches → counties → outlets), org/people.csv and
org/assignments.csv (staff, with moves, leavers and joiners around the period), one source
``transactions`` (facts in Parquet files under facts/, written in row groups of ``--batch``
rows), kaohe.yaml and schemes/bench.yaml with the indicators of bench/indicators.py. All facts
fall in the benchmark's period (2026-03). ``import`` loads every file with kaohe's importer
(all-or-nothing, every row checked), timing it and its peak memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench import indicators as ind
from bench.common import MANIFEST, OUT, PERIOD, SCHEME, PeakRSS, dir_bytes, read_json, write_json

DURATION_SIGMA = 0.5
MONTH_START = np.datetime64("2026-03-01T00:00:00", "us")
DAYS = 31
MOVED = date(2026, 3, 1)  # movers start at their new outlet on the period's first day
LEFT = date(2026, 3, 15)  # leavers' last day
JOINED = date(2026, 3, 10)  # joiners' first day
POSITIONS = (("营业员", 0.88, 1.0), ("值班经理", 0.08, 0.3), ("店长", 0.04, 0.1))
OUTLET_KINDS = (("自营厅", 0.15), ("合作厅", 0.25), ("特约厅", 0.30), ("代理店", 0.30))
CITIES = ("江宁", "浦口", "六合", "溧水", "高淳", "玄武", "秦淮", "建邺", "鼓楼", "栖霞",
          "雨花", "锡山", "惠山", "滨湖", "梁溪", "新吴", "江阴", "宜兴", "常熟", "昆山")
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董")
GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红")

SOURCE_YAML = """\
# 业务办理明细 (benchmark): one row per transaction, exported as Parquet.
name: transactions
title: 业务办理明细
time: at
person: person_id
unit: unit_id
{key}columns:
  txn_id:      {{type: string, aliases: [业务流水号]}}
  person_id:   {{type: string, aliases: [营业员工号]}}
  unit_id:     {{type: string, aliases: [营业厅编码]}}
  at:          {{type: datetime, aliases: [办理时间]}}
  biz_type:    {{type: string, aliases: [业务类型]}}
  channel:     {{type: string, aliases: [渠道]}}
  amount:      {{type: decimal, aliases: [金额]}}
  duration:    {{type: integer, aliases: [办理时长]}}
  ok:          {{type: boolean, aliases: [是否成功]}}
  customer_id: {{type: string, aliases: [客户编号]}}
"""


def params_of(args: argparse.Namespace) -> dict[str, Any]:
    return {"facts": args.facts, "outlets": args.outlets, "staff": args.staff,
            "indicators": args.indicators, "seed": args.seed, "file_rows": args.file_rows,
            "batch": args.batch, "key": not args.no_key, "period": PERIOD}


def default_dir(facts: int) -> Path:
    return OUT / f"ws-{facts}"


# --- org -------------------------------------------------------------------------------------

def _org(rng: np.random.Generator, outlets: int, staff: int) -> dict[str, Any]:
    n_cty = max(1, round(outlets / 100))
    n_br = max(1, round(n_cty / 10))
    units: list[dict[str, str]] = [{"id": "00", "name": "江南移动通信公司", "kind": "公司",
                                    "parent_id": ""}]
    for b in range(n_br):
        units.append({"id": f"B{b + 1:02d}", "name": f"{CITIES[b % len(CITIES)]}分公司"
                      f"{'' if b < len(CITIES) else b // len(CITIES)}", "kind": "分公司",
                      "parent_id": "00"})
    for c in range(n_cty):
        b = c * n_br // n_cty
        units.append({"id": f"C{c + 1:03d}", "name": f"{units[1 + b]['name'][:-3]}第{c + 1}县公司",
                      "kind": "县公司", "parent_id": f"B{b + 1:02d}"})
    kinds = np.array([k for k, _ in OUTLET_KINDS])
    kind_of = kinds[rng.choice(len(kinds), outlets, p=[p for _, p in OUTLET_KINDS])]
    outlet_ids = np.array([f"U{i + 1:06d}" for i in range(outlets)])
    county = (np.arange(outlets) * n_cty) // outlets
    units_df = pd.DataFrame(units)
    outlets_df = pd.DataFrame({
        "id": outlet_ids,
        "name": [f"营业厅{i + 1:05d}号{k}" for i, k in enumerate(kind_of)],
        "kind": kind_of,
        "parent_id": [f"C{c + 1:03d}" for c in county],
    })
    units_df = pd.concat([units_df, outlets_df], ignore_index=True)

    person_ids = np.array([f"P{i + 1:07d}" for i in range(staff)])
    names = np.char.add(np.array(SURNAMES)[rng.integers(0, len(SURNAMES), staff)],
                        np.array(GIVEN)[rng.integers(0, len(GIVEN), staff)])
    twice = rng.random(staff) < 0.5
    names = np.where(twice, np.char.add(names, np.array(GIVEN)[rng.integers(0, len(GIVEN),
                                                                            staff)]), names)
    people_df = pd.DataFrame({"id": person_ids, "name": names})

    unit_of = rng.integers(0, outlets, staff)
    pos_idx = rng.choice(len(POSITIONS), staff, p=[p for _, p, _ in POSITIONS])
    positions = np.array([p for p, _, _ in POSITIONS])[pos_idx]
    hired = np.datetime64("2018-01-01") + rng.integers(0, 7 * 365, staff).astype("timedelta64[D]")
    r = rng.random(staff)
    mover, leaver, joiner = r < 0.10, (r >= 0.10) & (r < 0.11), (r >= 0.11) & (r < 0.13)
    start = hired.astype(object)
    start = np.where(mover, MOVED, start)
    start = np.where(joiner, JOINED, start)
    end = np.where(leaver, LEFT, None)
    rows = pd.DataFrame({"person_id": person_ids, "unit_id": outlet_ids[unit_of],
                         "position": positions, "start": start, "end": end})
    prev_unit = (unit_of + 1 + rng.integers(0, max(1, outlets - 1), staff)) % outlets
    moves = pd.DataFrame({"person_id": person_ids, "unit_id": outlet_ids[prev_unit],
                          "position": positions, "start": hired.astype(object),
                          "end": date(2026, 2, 28)})[mover]
    asg = pd.concat([moves, rows], ignore_index=True)

    weight = rng.lognormal(0.0, 0.5, staff) * np.array([f for _, _, f in POSITIONS])[pos_idx]
    weight[rng.random(staff) < 0.02] = 0.0  # on leave all month: no facts, missing averages
    return {"units": units_df, "people": people_df, "assignments": asg,
            "person_ids": person_ids, "outlet_ids": outlet_ids, "unit_of": unit_of,
            "weight": weight, "leaver": leaver, "joiner": joiner}


# --- facts -----------------------------------------------------------------------------------

def _decimal(cents: np.ndarray, valid: np.ndarray) -> pa.Array:
    """int64 cents → decimal128(12, 2) without Python objects."""
    buf = np.empty((len(cents), 2), dtype=np.int64)
    buf[:, 0] = cents
    buf[:, 1] = cents >> 63
    bits = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.decimal128(12, 2), len(cents), [bits, pa.py_buffer(buf)],
                                 null_count=int((~valid).sum()))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _batch(rng: np.random.Generator, org: dict[str, Any], lo: int, hi: int, total: int,
           customers: int) -> pa.Table:
    n = hi - lo
    u = (lo + np.sort(rng.random(n)) * n) / total  # fraction of the month, in time order
    day = np.floor(u * DAYS)
    sec = (day * 86400 + 8 * 3600 + (u * DAYS - day) * 12 * 3600).astype(np.int64)
    cum = np.cumsum(org["weight"])
    p = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    p = np.minimum(p, len(cum) - 1)
    lv, jn = org["leaver"][p], org["joiner"][p]
    sec = np.where(lv, sec % (14 * 86400), sec)  # leavers: up to their last day
    sec = np.where(jn, 9 * 86400 + sec % (22 * 86400), sec)  # joiners: from their first day
    at = MONTH_START + sec.astype("timedelta64[s]").astype("timedelta64[us]")

    shares = np.array([b.share for b in ind.BIZ])
    biz = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(n), side="right")
    biz = np.minimum(biz, len(shares) - 1)
    ch_shares = np.array([s for _, _, s in ind.CHANNELS])
    channel = np.searchsorted(np.cumsum(ch_shares / ch_shares.sum()), rng.random(n),
                              side="right")
    channel = np.minimum(channel, len(ch_shares) - 1)
    mean_amount = np.array([b.amount for b in ind.BIZ])[biz]
    amount = mean_amount * rng.lognormal(0.0, ind.AMOUNT_SIGMA, n)
    cents = np.rint(amount * 100).astype(np.int64)
    valid = rng.random(n) >= 0.005  # a few amounts left blank
    seconds = np.array([b.seconds for b in ind.BIZ])[biz]
    duration = np.maximum(10, seconds * rng.lognormal(0.0, DURATION_SIGMA, n)).astype(np.int64)
    fail = np.full(len(ind.BIZ), 0.03)
    fail[[i for i, b in enumerate(ind.BIZ) if b.code == "broadband"]] = 0.06
    fail[[i for i, b in enumerate(ind.BIZ) if b.code == "close"]] = 0.08
    ok = rng.random(n) >= fail[biz]

    biz_dict = pa.array([b.label for b in ind.BIZ])
    ch_dict = pa.array([label for _, label, _ in ind.CHANNELS])
    return pa.table({
        "txn_id": _ids("T", np.arange(lo, hi, dtype=np.int64) + 1, 10),
        "person_id": pc.take(org["person_dict"], pa.array(p)),
        "unit_id": pc.take(org["outlet_dict"], pa.array(org["unit_of"][p])),
        "at": pa.array(at, pa.timestamp("us")),
        "biz_type": pc.take(biz_dict, pa.array(biz)),
        "channel": pc.take(ch_dict, pa.array(channel)),
        "amount": _decimal(cents, valid),
        "duration": pa.array(duration),
        "ok": pa.array(ok),
        "customer_id": _ids("C", rng.integers(0, customers, n) + 1, 8),
    })


def _flow(v: Any) -> str:
    """A YAML flow value: {rule: linear, floor: 0, target: 24.5}, [[0.98, 1.0], ...]."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False) if not v.isidentifier() else v
    return repr(v)


def _scheme_yaml(inds: list[ind.Ind]) -> str:
    lines = [
        f"# generated by bench/generate.py: the benchmark's scheme ({len(inds)} indicators)",
        "name: 基准测试营业员考核",
        "entity: person",
        "period: month",
        f"population: {{position: {ind.POSITION}}}",
        "peers: [unit]",
        "indicators:",
    ]
    for i in inds:
        lines += [f"  - code: {i.code}", f"    name: {i.name}"]
        if i.of is None:
            lines.append("    source: transactions")
        lines.append(f"    value: {json.dumps(ind.formula(i), ensure_ascii=False)}")
        if i.role != "scored":
            lines.append(f"    role: {i.role}")
        if i.weight is not None:
            lines.append(f"    weight: {i.weight}")
        if i.missing != "zero":
            lines.append(f"    missing: {i.missing}")
        if i.score is not None:
            lines.append(f"    score: {_flow(i.score)}")
    lines += [
        "grades: [[95, 五星], [85, 四星], [75, 三星], [60, 二星], [0, 一星]]",
        "elimination: {bottom: 1, consecutive: 3}",
        "payout: {base: 1000, coefficient: {五星: 1.5, 四星: 1.2, 三星: 1.0, 二星: 0.6, 一星: 0}}",
    ]
    return "\n".join(lines) + "\n"


def generate(ws: Path, params: dict[str, Any], say: Any = print) -> dict[str, Any]:
    t0 = time.perf_counter()
    if ws.exists():
        shutil.rmtree(ws)
    (ws / "org").mkdir(parents=True)
    (ws / "sources").mkdir()
    (ws / "schemes").mkdir()
    (ws / "facts").mkdir()
    rng = np.random.default_rng(params["seed"])
    org = _org(rng, params["outlets"], params["staff"])
    org["units"].to_csv(ws / "org" / "units.csv", index=False)
    org["people"].to_csv(ws / "org" / "people.csv", index=False)
    org["assignments"].to_csv(ws / "org" / "assignments.csv", index=False)
    org["person_dict"] = pa.array(org["person_ids"])
    org["outlet_dict"] = pa.array(org["outlet_ids"])
    (ws / "kaohe.yaml").write_text("engine: duckdb\nstore: store.duckdb\n", encoding="utf-8")
    key = "key: [txn_id]\n" if params["key"] else ""
    (ws / "sources" / "transactions.yaml").write_text(SOURCE_YAML.format(key=key),
                                                     encoding="utf-8")
    pop = org["assignments"]
    active = (org["weight"] > 0).sum()
    inds = ind.build(params["facts"] / max(1, int(active)), params["indicators"])
    (ws / "schemes" / f"{SCHEME}.yaml").write_text(_scheme_yaml(inds), encoding="utf-8")
    say(f"  org: {len(org['units'])} units, {len(org['people'])} people, {len(pop)} assignments;"
        f" scheme: {len(inds)} indicators ({time.perf_counter() - t0:.1f} s)")

    total, per_file, batch = params["facts"], params["file_rows"], params["batch"]
    customers = max(10_000, total // 5)
    files: list[str] = []
    for f, lo in enumerate(range(0, total, per_file)):
        hi = min(total, lo + per_file)
        path = ws / "facts" / f"transactions-{f + 1:04d}.parquet"
        writer: pq.ParquetWriter | None = None
        for b in range(lo, hi, batch):
            table = _batch(rng, org, b, min(hi, b + batch), total, customers)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=batch)
        assert writer is not None
        writer.close()
        files.append(path.name)
        say(f"  facts: {hi:,} / {total:,} rows ({time.perf_counter() - t0:.1f} s)")
    facts_bytes = dir_bytes(ws / "facts")
    info = {"seconds": round(time.perf_counter() - t0, 2), "files": files,
            "facts_bytes": facts_bytes, "units": len(org["units"]),
            "people": len(org["people"]), "assignments": len(pop),
            "indicators": len(inds)}
    write_json(ws / MANIFEST, {"params": params, "generated": info})
    return info


def import_facts(ws_dir: Path, say: Any = print) -> dict[str, Any]:
    """Import every fact file with kaohe's importer; time each, and the peak memory."""
    from kaohe.workspace import Workspace
    from kaohe.workspace.importer import import_file

    manifest = read_json(ws_dir / MANIFEST)
    store = ws_dir / "store.duckdb"
    for p in (store, store.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    per_file: list[float] = []
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        ws = Workspace.open(ws_dir)
        assert ws.org.people  # load the org once, as kaohe import does
        org_s = time.perf_counter() - t0
        source = ws.sources["transactions"]
        for name in manifest["generated"]["files"]:
            t = time.perf_counter()
            report = import_file(ws.store, ws.org, source, ws_dir / "facts" / name)
            per_file.append(round(time.perf_counter() - t, 2))
            say(f"  import {name}: {report.rows:,} rows in {per_file[-1]:.1f} s")
        seconds = time.perf_counter() - t0
    info = {"seconds": round(seconds, 2), "org_seconds": round(org_s, 2), "per_file": per_file,
            "peak_rss": mem.peak, "store_bytes": store.stat().st_size}
    manifest["imported"] = info
    write_json(ws_dir / MANIFEST, manifest)
    return info


def add_params(p: argparse.ArgumentParser) -> None:
    p.add_argument("--facts", type=int, default=5_000_000)
    p.add_argument("--outlets", type=int, default=20_000)
    p.add_argument("--staff", type=int, default=100_000)
    p.add_argument("--indicators", type=int, default=60)
    p.add_argument("--seed", type=int, default=20260301)
    p.add_argument("--file-rows", type=int, default=5_000_000,
                   help="rows per Parquet file (each file is one import)")
    p.add_argument("--batch", type=int, default=1_000_000,
                   help="rows generated at a time (one Parquet row group each)")
    p.add_argument("--no-key", action="store_true",
                   help="declare no txn_id key (skips the importer's key checks)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generate")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    add_params(g)
    g.add_argument("--ws", type=Path)
    i = sub.add_parser("import")
    i.add_argument("--ws", type=Path, required=True)
    args = ap.parse_args(argv)
    say = lambda m: print(m, file=sys.stderr, flush=True)
    if args.cmd == "generate":
        info = generate(args.ws or default_dir(args.facts), params_of(args), say)
    else:
        info = import_facts(args.ws, say)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
