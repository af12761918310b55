#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image; the zip is
# unpacked in /autograder/source. Installs Python 3.11+, bubblewrap (the grader's sandbox)
# and the kit's dependencies, with PyTorch's CPU wheels, into /autograder/venv.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
source_dir="$root/source"
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap ca-certificates

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then  # e.g. Ubuntu 22.04, whose python3 is 3.10
  apt-get install -y -qq python3.11 python3.11-venv || true
  command -v python3.11 >/dev/null 2>&1 && python=python3.11
fi
if [ -z "$python" ]; then
  echo "setup.sh: Python 3.11 or newer is needed; choose Gradescope's Ubuntu 24.04 base image" >&2
  exit 1
fi

"$python" -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --quiet --upgrade pip
# CPU wheels: Gradescope has no GPU, and PyPI's default Linux wheel pulls in gigabytes of CUDA.
"$root/venv/bin/python" -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu "@TORCH@"
"$root/venv/bin/python" -m pip install --quiet -e "$source_dir" "@NBFORMAT@"
"$root/venv/bin/python" -c "import kit, autograder, torch; print('setup.sh: torch', torch.__version__)"

# Where bubblewrap cannot start (no user namespaces in the container), the kit grades in its
# unprivileged tier, as this user: it must be able to read the runtime, never the solutions,
# the hidden tests or grader.toml (a second wall behind Landlock; docs/redteam.md).
id -u kit-sandbox >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin kit-sandbox
chmod -R go-rwx "$source_dir/solutions" "$source_dir/autograder/hidden" "$source_dir/grader.toml"
