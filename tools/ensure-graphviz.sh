#!/bin/sh
# Make sure Graphviz's `dot` program is installed.  On Debian or Ubuntu as
# root we install it; anywhere else we print the command for this system.
command -v dot >/dev/null 2>&1 && exit 0

if [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ]; then
    echo "Graphviz's 'dot' program is missing; installing it with apt-get ..."
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; then
        command -v dot >/dev/null 2>&1 && { echo "installed: $(dot -V 2>&1)"; exit 0; }
    fi
    echo "error: 'apt-get install graphviz' failed; run it by hand to see why."
    exit 1
fi

if [ -f /etc/debian_version ]; then      cmd="sudo apt-get install graphviz"
elif [ "$(uname -s)" = Darwin ]; then    cmd="brew install graphviz"
elif command -v dnf >/dev/null 2>&1; then    cmd="sudo dnf install graphviz"
elif command -v yum >/dev/null 2>&1; then    cmd="sudo yum install graphviz"
elif command -v pacman >/dev/null 2>&1; then cmd="sudo pacman -S graphviz"
elif command -v zypper >/dev/null 2>&1; then cmd="sudo zypper install graphviz"
elif command -v apk >/dev/null 2>&1; then    cmd="sudo apk add graphviz"
elif command -v conda >/dev/null 2>&1; then  cmd="conda install -c conda-forge graphviz"
else cmd="see https://graphviz.org/download/ (Windows: winget install graphviz)"
fi
echo "error: Graphviz's 'dot' program is not installed; minigrad-bptt needs it to draw graphs."
echo "Install it with:"
echo "    $cmd"
echo "then run make again."
exit 1
