#!/usr/bin/env bash
# Mutation testing of eventreg/services/, eventreg/feeds/ and eventreg/mail/ with mutmut 3
# (issue 8): how many small bugs planted in that code does the non-browser suite catch?
# Not part of CI. Last score, timings and notable survivors: bench/MUTATION.md.
#
#   bash bench/mutation.sh                                      # the three folders: long, see below
#   bash bench/mutation.sh eventreg/services/registrations.py   # any .py files or folders under
#   bash bench/mutation.sh eventreg/feeds eventreg/mail/outbox.py  # eventreg/, to go faster
#
# How long: the three folders make 4,732 mutants (at 1d40522). registrations.py (468 mutants)
# took 29 to 48 min, feeds/cache.py + feeds/views.py + mail/outbox.py (484) 44 min, with 2
# jobs at nice 19 on the shared 2-core machine (0.18 to 0.37 mutants/s, 3.5 to 6.4 s of CPU
# per mutant), so the whole scope takes about 4 to 7 hours: run it overnight, or one folder
# at a time (each run starts afresh and scores only its paths).
#
# Environment (all optional):
#   MUTATION_JOBS=2       mutants tested at once (default 2; everything runs at nice -n 19)
#   MUTATION_RESUME=1     continue an interrupted run of the same paths: keep the results in
#                         .mutation/mutants/ and test only mutants without one (and those in
#                         functions whose code changed); the default starts from scratch, so
#                         that new tests are tried against every mutant
#   MUTATION_ISOLATION=fork   mutmut's process_isolation (default forkserver: one process
#                         imports and collects the tests, each mutant runs in a fork of it)
#   MUTMUT_SPEC=...       the mutmut requirement (default below)
#   EVENTREG_TEST_DATABASE_URL  as for pytest: run on PostgreSQL (each mutant's pytest session
#                         creates and drops its own database), so PostgreSQL-only tests count
#
# What it does:
# 1. `.venv-mutation/`: a venv of its own with the project (`-e '.[test]'`, through
#    constraints.txt when there is one) and mutmut, resolved in one pip call. mutmut must not go
#    into `.venv`: it pulls in textual, whose new releases need rich>=14 while Flask-Limiter 3
#    needs rich<14; resolving both together picks a textual that fits.
# 2. `.mutation/`: a copy of the work tree (the files git tracks or would track, so uncommitted
#    tests count) with a generated `setup.cfg` that holds mutmut's configuration, so neither
#    pyproject.toml nor the repository needs a [mutmut] section. mutmut 3 copies that again into
#    `.mutation/mutants/`, puts the mutated package first on sys.path and runs pytest in there:
#    once over the whole selection to learn which tests reach which function, then, for each
#    mutant, only the tests that reached its function (fastest first, stopping at the first
#    failure). Only code inside functions and methods is mutated (mutmut 3).
# 3. Tests: the suite minus the browser tests and minus the `real_clock` ones
#    (-m "not browser and not real_clock": tests/test_concurrency_http.py starts gunicorn and
#    is slow, and the `send-mail --watch` test's second Python process fails under mutmut),
#    minus test_i18n's string-extraction test (it extracts from the mutated sources, whose
#    mutants add strings), minus tests/test_concurrency_registration.py: its crowds take 90 s
#    for every mutant they reach that nothing else kills, whether they fail is chance on two
#    cores, and under mutmut's fork isolation they error (a multiprocessing forkserver started
#    before the fork cannot be used from the forked child), "killing" every mutant they reach.
#    The selected tests must pass on the unmutated copy, or mutmut stops ("failed to collect
#    stats" / "Failed to run clean test") with pytest's output.
# 4. The score: killed / total, the other outcomes, and every mutant that is not killed (also
#    written to .mutation/not-killed.txt). Look at one with
#    `cd .mutation && ../.venv-mutation/bin/mutmut show NAME`, or at all of them with
#    `cd .mutation && ../.venv-mutation/bin/mutmut browse`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv-mutation
WORK=$ROOT/.mutation
JOBS=${MUTATION_JOBS:-2}
MUTMUT_SPEC=${MUTMUT_SPEC:-mutmut>=3.3,<4}

if [ "$#" -eq 0 ]; then
  set -- eventreg/services eventreg/feeds eventreg/mail
fi
only_mutate=()
for path in "$@"; do
  path=${path%/}
  case $path in
    eventreg/*) ;;
    *) echo "bench/mutation.sh: $path is not under eventreg/" >&2; exit 2 ;;
  esac
  if [ -d "$path" ]; then
    only_mutate+=("$path/*")
  elif [ -f "$path" ] && [[ $path == *.py ]]; then
    only_mutate+=("$path")
  else
    echo "bench/mutation.sh: no Python file or folder $path" >&2; exit 2
  fi
done

started=$(date +%s)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git --no-optional-locks status --porcelain --untracked-files=normal -- eventreg tests 2>/dev/null)" ]; then
  commit="$commit + uncommitted changes in eventreg/ or tests/"
fi

echo "== venv $VENV"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
constraints=()
[ -f constraints.txt ] && constraints=(-c constraints.txt)
"$VENV/bin/pip" install -q "${constraints[@]}" -e '.[test]' "$MUTMUT_SPEC" 2>&1 \
  | { grep -v "is ignored: it is neither a file nor a directory" || true; }
echo "   $("$VENV/bin/mutmut" --version 2>/dev/null || "$VENV/bin/pip" show mutmut | grep ^Version)"

echo "== copy of the work tree in $WORK"
mkdir -p "$WORK"
if [ "${MUTATION_RESUME:-0}" != 1 ]; then
  rm -rf "$WORK/mutants"
fi
find "$WORK" -mindepth 1 -maxdepth 1 ! -name mutants -exec rm -rf {} +
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' file; do
      case $file in .mutation/* | .venv-mutation/* | mutants/*) continue ;; esac
      [ -e "$file" ] && printf '%s\0' "$file"
    done \
  | tar --null -T - -cf - | tar -C "$WORK" -xf -

# setup.cfg: mutmut's configuration (pyproject.toml has no [tool.mutmut], so mutmut reads this).
{
  echo "[mutmut]"
  echo "source_paths=eventreg/"
  echo "only_mutate="
  printf '    %s\n' "${only_mutate[@]}"
  echo "also_copy="
  printf '    %s\n' templates/ static/ instance/
  echo "pytest_add_cli_args_test_selection="
  printf '    %s\n' tests/ -m "not browser and not real_clock" --ignore=tests/browser \
    --ignore=tests/test_concurrency_http.py --ignore=tests/test_concurrency_registration.py \
    --deselect=tests/test_i18n.py::test_catalogue_covers_every_string_in_the_code
  echo "pytest_add_cli_args="
  printf '    %s\n' -p no:cacheprovider
  # One pytest process imports and collects the tests once; each mutant runs in a fork of it.
  echo "process_isolation=${MUTATION_ISOLATION:-forkserver}"
  # The copy sits inside the repository: keep mutmut's git calls out of it.
  echo "use_git_change_detection=false"
} >"$WORK/setup.cfg"

echo "== mutmut run on: ${only_mutate[*]} ($JOBS at a time)"
cd "$WORK"
export GIT_CEILING_DIRECTORIES=$ROOT  # no git command in the copy may reach the repository
export PYTEST_DEBUG_TEMPROOT=$WORK/tmp  # pytest's tmp_path dirs: ours, not the machine's /tmp
mkdir -p "$PYTEST_DEBUG_TEMPROOT"
status=0
nice -n 19 "$VENV/bin/mutmut" run --max-children "$JOBS" || status=$?
"$VENV/bin/mutmut" export-cicd-stats >/dev/null || true
elapsed=$(( $(date +%s) - started ))

echo
echo "== score (commit $commit; ${only_mutate[*]}; $((elapsed / 60)) min $((elapsed % 60)) s)"
[ "$status" = 0 ] || echo "mutmut run exited with $status: the numbers below are partial"
if [ -f mutants/mutmut-cicd-stats.json ]; then
  "$VENV/bin/python" - <<'EOF'
import json
s = json.load(open("mutants/mutmut-cicd-stats.json"))
total = s["total"]
tested = total - s["no_tests"] - s["skipped"]
print(f"mutants {total}: killed {s['killed']}, survived {s['survived']}, timeout {s['timeout']}, "
      f"no tests {s['no_tests']}, suspicious {s['suspicious']}, skipped {s['skipped']}, "
      f"segfault {s['segfault']}, interrupted {s['check_was_interrupted_by_user']}")
if total:
    print(f"score: killed / total = {s['killed']}/{total} = {s['killed'] / total:.1%}; "
          f"(killed + timeout) / mutants with tests = {s['killed'] + s['timeout']}/{tested} = "
          f"{(s['killed'] + s['timeout']) / max(tested, 1):.1%}")
EOF
fi
echo
echo "== not killed (name: outcome)"
"$VENV/bin/mutmut" results | sed 's/^ *//' | sort -t: -k2,2 -k1,1 | tee not-killed.txt
exit "$status"
