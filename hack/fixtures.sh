#!/usr/bin/env bash
# hack/fixtures.sh OUTDIR: create the fixture git repositories that the local stack's git
# daemon serves, as bare repositories OUTDIR/<repo>.git, from testdata/repos/<repo>/<NN-slug>/.
#
# Each <NN-slug> directory is the whole tree of one commit, in order; the commit message is
# the slug. Author, committer, dates, branch, object format and git configuration are all
# fixed, so the commit hashes are the same on every machine (testdata/repos/hashes.txt lists
# them; hack/fixtures_test.go checks it). Prints one line per commit: "<repo> <NN-slug> <sha>".
#
# main points at the last commit. An optional testdata/repos/<repo>/refs file adds refs, one
# per line: "branch NAME <NN-slug>" or "tag NAME <NN-slug>" (a lightweight tag); blank lines
# and lines starting with '#' are ignored.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src=${MCPBUILD_FIXTURES_SRC:-$here/testdata/repos}
out=${1:?usage: hack/fixtures.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# No user or system git configuration may change what gets hashed.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/nonexistent
export GIT_AUTHOR_NAME="MCP Fixture" GIT_AUTHOR_EMAIL="fixture@mcpbuild.invalid"
export GIT_COMMITTER_NAME="MCP Fixture" GIT_COMMITTER_EMAIL="fixture@mcpbuild.invalid"
export TZ=UTC LC_ALL=C
base=1700000000 # 2023-11-14T22:13:20Z

for repo_dir in "$src"/*/; do
  repo=$(basename "$repo_dir")
  git_dir="$out/$repo.git"
  rm -rf "$git_dir"
  git init -q --bare --object-format=sha1 --initial-branch=main "$git_dir"
  # Serve any commit, not only branch tips, whatever protocol version the client speaks.
  git --git-dir="$git_dir" config uploadpack.allowReachableSHA1InWant true
  git --git-dir="$git_dir" config uploadpack.allowAnySHA1InWant true
  work=$(mktemp -d)
  commit_index=0
  declare -A sha_of=()
  for commit_dir in "$repo_dir"*/; do
    slug=$(basename "$commit_dir")
    commit_index=$((commit_index + 1))
    # The whole tree of this commit: replace the work tree's content.
    find "$work" -mindepth 1 -delete
    cp -R "$commit_dir". "$work/"
    # Modes are normalized: no fixture file is executable.
    find "$work" -type f -exec chmod 0644 {} +
    date="@$((base + commit_index * 3600)) +0000" # independent of other repos
    GIT_DIR=$git_dir GIT_WORK_TREE=$work git add -A
    GIT_DIR=$git_dir GIT_WORK_TREE=$work GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
      git commit -q --no-verify --allow-empty -m "$slug"
    sha_of[$slug]=$(git --git-dir="$git_dir" rev-parse HEAD)
    printf '%s %s %s\n' "$repo" "$slug" "${sha_of[$slug]}"
  done
  if [ -f "$repo_dir/refs" ]; then
    while read -r kind name slug rest; do
      case "$kind" in ''|'#'*) continue ;; esac
      if [ -n "$rest" ] || [ -z "${sha_of[$slug]:-}" ]; then
        echo "fixtures.sh: $repo/refs: bad line: $kind $name $slug $rest" >&2
        exit 1
      fi
      case "$kind" in
        branch) git --git-dir="$git_dir" update-ref "refs/heads/$name" "${sha_of[$slug]}" ;;
        tag) git --git-dir="$git_dir" update-ref "refs/tags/$name" "${sha_of[$slug]}" ;;
        *) echo "fixtures.sh: $repo/refs: unknown kind $kind" >&2; exit 1 ;;
      esac
    done <"$repo_dir/refs"
  fi
  rm -rf "$work"
  # A bare repository has no index to keep.
  rm -f "$git_dir/index"
done
