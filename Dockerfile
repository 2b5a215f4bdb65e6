# gameday in a container: Debian 12 with exactly what scripts/setup.sh installs, built by
# scripts/setup.sh itself, so the image and a developer's machine cannot drift apart.
#
#   docker build -t gameday .
#   docker run --rm gameday ci --seeds 10 --no-progress
#   docker run --rm -v "$PWD/reports:/gameday/reports" gameday run
#
# The entrypoint is the gameday binary; the working directory /gameday holds the scenario
# library (scenarios/, examples/, fakes/, playbooks/), so `gameday ci` with no path sweeps it.
# setup.sh also installs what the test suite uses (Chromium, Prometheus, Node.js and the npm
# clients of tests/node), so the image is larger than the binary needs; the tests can be run in
# it with `docker run --rm --entrypoint ctest gameday --test-dir build`.
FROM debian:12

ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /gameday
COPY . .
# As root, setup.sh runs apt-get without sudo; --no-run: install and build, no demo run.
RUN scripts/setup.sh --no-run && rm -rf /var/lib/apt/lists/*

ENTRYPOINT ["/gameday/build/gameday"]
CMD ["--help"]
