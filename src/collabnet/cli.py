"""The command line: a thin layer over the library (each command is a few library calls)."""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .errors import CollabnetError

EXIT_INPUT = 2


class Command(click.Command):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CollabnetError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_INPUT)


class Group(click.Group):
    command_class = Command


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="collabnet")
def main():
    """collabnet: co-authorship networks and collaboration figures from publication exports.

    Reads Scopus CSV, Web of Science (plain text, tab-delimited), OpenAlex
    (JSON, JSON Lines, .gz) and PubMed MEDLINE exports.

    Example: collabnet build scopus.csv savedrecs.txt --out outputs/run1
    """


def _progress(quiet: bool) -> bool:
    return (not quiet) and sys.stderr.isatty()


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", "out", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write corpus/, summary.json and the analysis into.")
@click.option("--thesaurus", type=click.Path(dir_okay=False, exists=True),
              help="CSV variant,canonical[,ror,type,country] (or a VOSviewer thesaurus) that overrides every rule.")
@click.option("--encoding", default=None, help="Encoding of non-UTF-8 inputs, e.g. latin-1 (UTF-8/UTF-16 are detected).")
@click.option("--keep-retracted", is_flag=True, help="Keep retracted items and paratext (excluded and counted by default).")
@click.option("--focus", "focus", multiple=True, metavar="CC",
              help="Focus country (ISO code); give it twice (--focus JP --focus NL) or as 'JP NL' for a pair.")
@click.option("--baseline", type=click.Path(dir_okay=False, exists=True),
              help="World baseline CSV (year,document_type,field,expected_citations[,top10_threshold]).")
@click.option("--counting", type=click.Choice(["full", "unit_fractional", "pair_normalised", "author_based"]),
              default="unit_fractional", show_default=True, help="Edge weight of the networks.")
@click.option("--world-output", type=click.Path(dir_okay=False, exists=True),
              help="World output CSV (year,field,world_output) for the Relative Activity Index per field.")
@click.option("--no-topics", is_flag=True, help="Skip the topic clustering (run by default when the input has references).")
@click.option("--no-views", is_flag=True, help="Skip report.html, figures and the interactive network views.")
@click.option("--max-nodes", type=int, default=2000, show_default=True,
              help="Largest nodes (by works) shown in each interactive view; the page says what was left out.")
@click.option("--min-edge-weight", type=float, default=None,
              help="Hide links lighter than this in the views (default: keep the 20,000 strongest).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where the read stage runs: in this process, or on Dask workers (pip install 'collabnet[dask]').")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: the address of a running Dask scheduler (default: a local cluster).")
@click.option("--timings", is_flag=True, help="Print seconds per stage (read, clean, indicators, networks, topics, "
              "report, views) to stderr as one JSON line.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display and no summary on the terminal.")
def build(inputs, out, thesaurus, encoding, keep_retracted, focus, baseline, counting, world_output, no_topics,
          no_views, max_nodes, min_edge_weight, engine, scheduler, timings, quiet):
    """Read export files into one clean, deduplicated corpus and write it to OUT.

    Several files and several sources can be mixed; duplicates are merged by
    DOI, source id, then title + year + first author.

    Example: collabnet build works.jsonl.gz scopus.csv --out outputs/jpnl
    """
    from .memory import bulk_allocation
    with bulk_allocation():   # (the forked reader and the other children inherit it)
        _build(inputs, out, thesaurus, encoding, keep_retracted, focus, baseline, counting, world_output, no_topics,
               no_views, max_nodes, min_edge_weight, engine, scheduler, timings, quiet)


def _build(inputs, out, thesaurus, encoding, keep_retracted, focus, baseline, counting, world_output, no_topics,
           no_views, max_nodes, min_edge_weight, engine, scheduler, timings, quiet):
    """The build command's work (see :func:`build`)."""
    import time
    stages = {}
    if engine != "dask" and scheduler:
        raise click.BadParameter("--scheduler needs --engine dask", param_hint="--scheduler")
    from .corpus import Corpus
    from .parallel import Background
    corpus_dir = os.path.join(out, "corpus")
    # a child process reads the exports and writes the corpus; the analysis then loads it back.  The
    # child's memory (the raw records, and the heap they leave fragmented) goes back to the system when it
    # ends, and the analysis works on compact tables, one string object per distinct value: half the
    # memory, and the group-bys run twice as fast.  In line (COLLABNET_WORKERS=1) the steps are the same.
    # (the Dask engine's driver stays in this process: a forked child of a process that has run a Dask
    # client before would inherit its event-loop threads' locks)
    args = (inputs, corpus_dir, engine, scheduler, thesaurus, keep_retracted, encoding, _progress(quiet))
    if engine == "dask":
        stages.update(_read_and_save(*args))
    else:
        reader = Background(_read_and_save, *args, what="reading the inputs", daemon=False, reraise=True)
        _preload(views=not no_views, paths=_large(inputs))  # while the child reads
        stages.update(reader.result())
    t0 = time.perf_counter()
    corpus = Corpus.load(corpus_dir, lazy_references=True)   # (read when topics need them)
    # the corpus lives to the end: keep the cyclic garbage collector from rescanning its millions of
    # objects, and forked children from copying the pages it would touch
    import gc
    gc.freeze()
    # the build summary is computed and written on the second core
    saving = Background(_summarise, corpus, out, what="writing summary.json")
    stages["save"] += time.perf_counter() - t0
    if not quiet:
        click.echo(f"read {len(corpus.works):,} works; analysing (the read summary follows) ...", err=True)
    _analyse(corpus, out, focus, baseline, counting, quiet, summary=saving, views=not no_views,
             topics=None if no_topics else _topic_options(corpus, {}), max_nodes=max_nodes,
             min_edge_weight=min_edge_weight, world_output=world_output, timings=stages)
    t0 = time.perf_counter()
    s = saving.result()
    stages["save"] += time.perf_counter() - t0
    if not quiet:
        click.echo(format_summary(s, out))
    if timings:
        import json
        click.echo(json.dumps({k: round(v, 3) for k, v in stages.items()}), err=True)


def _read_and_save(inputs, corpus_dir, engine, scheduler, thesaurus, keep_retracted, encoding, progress) -> dict:
    """Read the inputs into a corpus and write it to corpus_dir; seconds per stage (read, clean, save)."""
    import time
    stages = {}
    if engine == "dask":
        from .engine import read_dask
        corpus = read_dask(*inputs, scheduler=scheduler, thesaurus=thesaurus, keep_retracted=keep_retracted,
                           encoding=encoding, timings=stages)
        t0 = time.perf_counter()
        corpus.save(corpus_dir)
        stages["save"] = time.perf_counter() - t0
        return stages
    # each table is written as soon as it is made, and dropped: the reader holds one table at a time
    from .read import read_into
    read_into(corpus_dir, *inputs, thesaurus=thesaurus, keep_retracted=keep_retracted, encoding=encoding,
              progress=progress, timings=stages)
    return stages


def _summarise(corpus, out) -> dict:
    from .corpus import summary
    from .io_utils import write_json
    s = summary(corpus)
    write_json(os.path.join(out, "summary.json"), s)
    return s


def _focus(values) -> list[str]:
    out = []
    for v in values:
        out.extend(x for x in v.replace(",", " ").split() if x)
    return [x.upper() for x in out]


def _topic_options(corpus, kw):
    """Topic options when the corpus has references (topics need them), else None."""
    from .topics import TopicOptions, has_references
    return TopicOptions(**kw) if has_references(corpus) else None


def _analyse(corpus, out, focus, baseline, counting, quiet, summary=None, views=True, topics=None,
             max_nodes=2000, min_edge_weight=None, world_output=None, timings=None):
    from .clean.countries import country_code
    from .indicators import load_baseline
    from .report import analyse, write_report
    focus = _focus(focus)
    for f in focus:
        if country_code(f) != f:
            raise click.BadParameter(f"{f!r} is not an ISO 3166-1 alpha-2 country code", param_hint="--focus")
    if len(focus) > 2:
        raise click.BadParameter("give one country or a pair", param_hint="--focus")
    base = load_baseline(baseline) if baseline else None
    from .indicators import load_world_output
    world = load_world_output(world_output) if world_output else None
    import time
    timings = {} if timings is None else timings
    graphs = {}
    from .parallel import Background
    from .report import add_topics, run_topics_for
    from .export import EXPORT_PARTS
    from .views.build import prepare_graphs, write_exports, write_view_pages
    # the libraries every forked child needs are imported once, here, not once per child (igraph alone,
    # which pulls in matplotlib, takes 0.6 s)
    _preload(views)
    # the topic clustering runs on the second core while the indicators and networks are computed here
    topic_job = None if topics is None else Background(run_topics_for, corpus, topics, base, focus,
                                                       what="topic clustering")
    say = None if quiet else (lambda line: click.echo(line, err=True))
    rep, tables = analyse(corpus, focus, base, counting, topics=None, graphs=graphs, world_output=world,
                          timings=timings, progress=say)
    t0 = time.perf_counter()
    # figures and graph files are drawn and written by other processes while this one goes on
    report_figures = Background(_report_figures, out, rep, tables, views, what="drawing the report figures")
    made = prepare_graphs(corpus, graphs)
    background = [Background(write_exports, out, dict(made), "xml", what="writing the GraphML and GEXF files"),
                  Background(_exports_and_network_figures, out, dict(made), views,
                             what="writing the graph exports and network figures")]
    t1 = time.perf_counter()
    if topic_job is not None:
        if say is not None and not topic_job.ready():
            say("waiting for the topic clustering (papers linked by their citations) ...")
        add_topics(rep, tables, graphs, topic_job.result())
        t2 = time.perf_counter()
        timings["topics"] = t2 - t1
        more = prepare_graphs(corpus, {"topics": graphs["topics"]})
        if more:
            background += [Background(write_exports, out, more, part, what="writing the topic graph exports")
                           for part in EXPORT_PARTS]
            made.update(more)
        t1 += time.perf_counter() - t2
    if say is not None:
        say("writing the report, tables and graph exports" + (", views and figures" if views else "") + " ...")
    t2 = time.perf_counter()
    if hasattr(summary, "result"):  # still being made on the other core
        summary = summary.result()
    write_report(out, rep, tables, summary=summary, html=False)
    t3 = time.perf_counter()
    if views:
        write_view_pages(out, made, max_nodes=max_nodes, min_edge_weight=min_edge_weight)
    figs = report_figures.result()
    for b in background:
        b.result()
    if views:
        from .html_report import write_html
        write_html(out, rep, tables, figs, summary)
    timings.update(report=t3 - t2, views=(t1 - t0) + (time.perf_counter() - t3))
    if not quiet:
        keys = [k for k in ("works", "bilateral_only_share", "academic_corporate_share", "citations_per_work",
                            "fwci_mean", "mncs_ds", "top10_share", "top10_share_ds") if rep.get(k) is not None]
        click.echo("report: " + ", ".join(f"{k} {rep[k]}" for k in keys) + f"; written {os.path.join(out, 'report.json')}"
                   + (f", {os.path.join(out, 'report.html')}" if views else ""))
        if "topics_info" in rep:
            click.echo(format_topics(rep["topics_info"], out))


PATHS_FROM_BYTES = 50 * 2 ** 20   # inputs this large (on disk) make an institution graph whose centrality
                                  # uses the compiled path search: it is loaded while the reader reads


def _large(inputs) -> bool:
    """Whether the input files (missing ones aside: the reader says so) are PATHS_FROM_BYTES or more."""
    return sum(os.path.getsize(p) for p in inputs if os.path.isfile(p)) >= PATHS_FROM_BYTES


def _preload(views: bool, paths: bool = False) -> None:
    """Import what the analysis and its forked children need (igraph, leidenalg, matplotlib: about a
    second), once; the build does it while its reader child reads."""
    import importlib
    for mod in ("pyarrow.parquet", "igraph", "leidenalg", "collabnet.report", "collabnet.views.build",
                "collabnet.topics.run") + (("collabnet.figures", "collabnet.html_report") if views else ()):
        importlib.import_module(mod)
    if paths:   # the compiled shortest-path search of the centrality, from numba's cache (0.4 s, 100 MB;
        # a small corpus's graph does without it)
        from .networks import _compiled
        _compiled()


def _report_figures(out, rep, tables, views):
    """The report's figures (returned for report.html), when views are wanted."""
    if not views:
        return {}
    from .figures import figures
    return figures(rep, tables, os.path.join(out, "figures"))


def _exports_and_network_figures(out, made, views):
    from .views.build import write_exports, write_network_figures
    write_exports(out, made, "other")
    if views:
        write_network_figures(out, made)


@main.command()
@click.argument("corpus_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Folder for report.json and tables (default: next to the corpus).")
@click.option("--focus", "focus", multiple=True, metavar="CC", help="Focus country, or a pair ('JP NL').")
@click.option("--baseline", type=click.Path(dir_okay=False, exists=True), help="World baseline CSV.")
@click.option("--counting", type=click.Choice(["full", "unit_fractional", "pair_normalised", "author_based"]),
              default="unit_fractional", show_default=True, help="Edge weight of the networks.")
@click.option("--world-output", type=click.Path(dir_okay=False, exists=True),
              help="World output CSV (year,field,world_output) for the Relative Activity Index.")
@click.option("--no-views", is_flag=True, help="Skip report.html and figures.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
def report(corpus_dir, out, focus, baseline, counting, world_output, no_views, quiet):
    """Redo the analysis from a saved corpus without re-reading the exports.

    Example: collabnet report outputs/jpnl --focus JP --focus NL
    """
    from .corpus import Corpus
    corpus = Corpus.load(corpus_dir)
    if out is None:
        out = os.path.dirname(os.path.abspath(corpus_dir)) if os.path.basename(os.path.normpath(corpus_dir)) == "corpus" else corpus_dir
    summary = None
    for cand in (os.path.join(corpus_dir, "..", "summary.json"), os.path.join(corpus_dir, "summary.json")):
        if os.path.exists(cand):
            import json
            with open(cand, encoding="utf-8") as fh:
                summary = json.load(fh)
            break
    _analyse(corpus, out, focus, baseline, counting, quiet, summary=summary, views=not no_views,
             world_output=world_output)


@main.command()
@click.argument("corpus_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Folder to write topics/ into (default: next to the corpus).")
@click.option("--relatedness", type=click.Choice(["dc", "edc", "bc"]), default="dc", show_default=True,
              help="Direct citation, extended direct citation (cited works outside the set bridge papers) or "
                   "bibliographic coupling.")
@click.option("--algorithm", type=click.Choice(["leiden", "louvain"]), default="leiden", show_default=True)
@click.option("--quality", type=click.Choice(["cpm", "modularity"]), default="cpm", show_default=True,
              help="Leiden quality function (Louvain always uses modularity).")
@click.option("--leiden-engine", type=click.Choice(["igraph", "leidenalg"]), default="igraph", show_default=True,
              help="Leiden implementation: igraph's community_leiden or the leidenalg package (same quality "
                   "functions; partitions can differ where the optimum is not unique).")
@click.option("--resolution", type=float, default=None,
              help="Resolution; default for CPM: 4 x the link density of the linked papers; 1 for modularity.")
@click.option("--resolution-sweep", is_flag=True, help="Print clusters per resolution on a grid around the default and stop.")
@click.option("--min-cluster-size", type=int, default=1, show_default=True,
              help="Merge clusters smaller than this into their best-linked neighbour (1 = no merging).")
@click.option("--report-min-size", type=int, default=9, show_default=True,
              help="Describe and label clusters of at least this many papers.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
def topics(corpus_dir, out, relatedness, algorithm, quality, leiden_engine, resolution, resolution_sweep, min_cluster_size,
           report_min_size, seed, quiet):
    """Cluster a saved corpus's papers by citation links and label the clusters.

    Writes OUT/topics/clusters.csv (one row per described cluster) and
    OUT/topics/membership.csv (work_id, doi, cluster, described).

    Example: collabnet topics outputs/jpnl --algorithm louvain
    """
    from .corpus import Corpus
    from .topics import TopicOptions, run_topics, sweep, write_topics
    from .errors import CollabnetError
    corpus = Corpus.load(corpus_dir)
    if not len(corpus.references):
        raise CollabnetError(f"{corpus_dir}: the corpus has no references, so there are no citation links to "
                             "cluster; export with cited references (Scopus 'References', WoS 'Full Record and "
                             "Cited References', OpenAlex referenced_works)")
    if algorithm == "louvain" and quality == "cpm":
        quality = "modularity"
    opts = TopicOptions(relatedness=relatedness, algorithm=algorithm, quality=quality, leiden_engine=leiden_engine,
                        resolution=resolution,
                        min_cluster_size=min_cluster_size, report_min_size=report_min_size, seed=seed)
    if resolution_sweep:
        df = sweep(corpus, opts)
        click.echo(df.to_string(index=False, float_format=lambda x: f"{x:.6g}"))
        return
    if out is None:
        out = os.path.dirname(os.path.abspath(corpus_dir)) if os.path.basename(os.path.normpath(corpus_dir)) == "corpus" else corpus_dir
    t = run_topics(corpus, opts)
    write_topics(out, t)
    if not quiet:
        click.echo(format_topics(t.stats, out))
        for r in t.clusters.head(15).itertuples():
            click.echo(f"  {r.cluster:>4} {r.size:>6}  {r.label}")


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--print", "print_only", is_flag=True, help="Only print the path of the views index.")
def view(out_dir, print_only):
    """Open the network views of a build (OUT_DIR/views/index.html) in the default browser.

    Prints the path instead when there is no browser (a server, a container).

    Example: collabnet view outputs/jpnl
    """
    from .errors import CollabnetError
    index = os.path.abspath(os.path.join(out_dir, "views", "index.html"))
    if not os.path.exists(index):
        raise CollabnetError(f"{out_dir}: no views/index.html; run collabnet build without --no-views first")
    opened = False
    if not print_only:
        import webbrowser
        try:
            opened = webbrowser.get().open("file://" + index)
        except webbrowser.Error:
            opened = False
    click.echo(("opened " if opened else "") + index)


def format_topics(info: dict, out: str) -> str:
    r = info["references"]
    steps = ", ".join(f"{k} {v}" for k, v in r["by_step"].items()) or "none"
    lines = [f"topics: {r['resolved']:,} of {r['references']:,} references resolved inside the set ({steps}); "
             f"{info['linked_share']:.0%} of papers linked; {info['algorithm']} {info['quality']} resolution "
             f"{info['resolution']:.4g}: {info['described_clusters']} clusters of {info['report_min_size']}+ papers "
             f"({info['papers_in_described']:,} papers), {info['small_clusters']:,} small; "
             f"written {os.path.join(out, 'topics')}/"]
    if info.get("advice"):
        lines.append("note: " + info["advice"])
    return "\n".join(lines)


def format_summary(s: dict, out: str) -> str:
    lines = []
    for f in s["files"]:
        lines.append(f"{f['path']} [{f['format']}]: {f['records']} records read, {sum(f['skipped'].values())} skipped, "
                     f"{f['merged_within_file']} merged within the file, {f['merged_with_earlier_files']} with earlier "
                     f"files, {sum(f['excluded'].values())} excluded")
        for why, n in f["skipped"].items():
            lines.append(f"  skipped {n}: {why} (e.g. {', '.join(f['skipped_examples'][why][:2])})")
        for why, n in f["warnings"].items():
            lines.append(f"  note {n}: {why} (e.g. {', '.join(f['warning_examples'][why][:2])})")
        if f["author_slots"]:
            lines.append(f"  author slots: {f['author_slots']}, with a country {f['with_country']:.1%}, "
                         f"with an institution {f['with_institution']:.1%}")
    ex = s["excluded"]
    lines.append(f"corpus: {s['works']} works ({ex.get('retracted', 0)} retracted and {ex.get('paratext', 0)} "
                 f"paratext excluded); author slots {s['author_slots']}: with a country {s['with_country']:.1%}, "
                 f"with an institution {s['with_institution']:.1%}")
    un = s["unresolved"]
    if un.get("countries"):
        lines.append("unresolved countries: " + ", ".join(f"{x['token'] or '(empty)'} ({x['rows']})" for x in un["countries"][:8]))
    if un.get("institutions"):
        lines.append("institutions without a sector: " + ", ".join(f"{x['institution']} ({x['rows']})" for x in un["institutions"][:8]))
    lines.append(f"written: {os.path.join(out, 'corpus')}/, {os.path.join(out, 'summary.json')}")
    return "\n".join(lines)


def entry() -> None:
    """The ``collabnet`` command (and ``python -m collabnet``): ``main``, then out of the process without
    Python's tear-down of its objects (a third of a second after a large build; every file is written and
    closed, every child joined, by then).  An error that is not an exit (a bug) ends the usual way, with
    its traceback."""
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:   # (click's standalone mode always exits)
        code = 0
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
