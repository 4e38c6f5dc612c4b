"""lab.sessions.redis_auth: one login for redis-cli and redis-benchmark.
bench-content once passed redis-cli's --pass to redis-benchmark, which has
no such option and stopped with 'Invalid option "--pass"'."""
from __future__ import annotations

from lab import sessions

# The login options redis-benchmark 7 takes (redis-benchmark --help); redis-cli takes them too.
BENCHMARK_OPTIONS = {"-h", "-p", "--user", "-a"}


def test_the_login_uses_only_options_both_tools_take():
    argv = sessions.redis_auth("10.213.0.211", 6379, "webfarm-admin", "secret")
    assert set(argv[::2]) <= BENCHMARK_OPTIONS, argv
    assert "--pass" not in argv
    assert argv == ["-h", "10.213.0.211", "-p", "6379", "--user", "webfarm-admin", "-a", "secret"]
