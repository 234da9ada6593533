# dangjian — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/dangjian
PG_TEST_DB ?= test_dangjian_ci
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install demo serve test lint typecheck check-migrations test-sqlite test-postgres browser-deps postgres benchmark clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/dangjian migrate --noinput
	@if $(BIN)/dangjian shell --no-imports -c "import sys; from dangjian.orgs.models import Org; sys.exit(0 if Org.objects.exists() else 1)"; then \
		echo "已有数据，跳过演示数据生成（如需重建：$(BIN)/dangjian seed --scale small --lifecycle --reset）"; \
		echo "重建党费台账快照、刷新检查结果（如同每晚的定时任务）"; \
		$(BIN)/dangjian dues snapshots && $(BIN)/dangjian compliance refresh || exit 1; \
	else \
		$(BIN)/dangjian seed --scale small --seed 1 --lifecycle; \
	fi
	$(BIN)/dangjian demo_users
	$(BIN)/dangjian reminders send
	$(BIN)/dangjian collectstatic --noinput -v 0
	@echo "打开 http://$(HOST):$(PORT)/ 用上面的账号登录，首次登录按上面的步骤修改密码、绑定验证器（Ctrl+C 停止）"
	@echo "没有验证器应用时，另开终端运行：$(BIN)/dangjian security demo-code 用户名"
	@echo "xitong/anquan/shenji 为三员分立的系统管理员、安全管理员、审计管理员"
	LOCAL_HTTP=1 $(BIN)/dangjian runserver --noreload $(HOST):$(PORT)

# The production stack on this machine: gunicorn (deploy/gunicorn.conf.py) serving the application and, through
# whitenoise, the collected static files, with the task worker beside it, DEBUG off. LOCAL_HTTP=1 only so
# that the cookies work over plain HTTP here (in production nginx terminates TLS: deploy/, docs/deployment.md).
# WEB_CONCURRENCY and GUNICORN_THREADS choose the processes and threads (default: 2 × cores + 1, 2 threads).
serve: export DEBUG := 0
serve: export LOCAL_HTTP := 1
serve: export DANGJIAN_TASKS := database
serve: export GUNICORN_BIND := $(HOST):$(PORT)
serve: install
	$(BIN)/dangjian migrate --noinput
	$(BIN)/dangjian collectstatic --noinput -v 0
	@echo "本机试运行生产环境：gunicorn + whitenoise，DEBUG 关闭，后台任务由 dangjian worker 执行；"
	@echo "仅为在本机用 HTTP 访问而设 LOCAL_HTTP=1（正式部署由 nginx 提供 HTTPS，见 docs/deployment.md）。"
	@echo "打开 http://$(HOST):$(PORT)/（账号见 make demo 或 $(BIN)/dangjian demo_users；Ctrl+C 停止）"
	@$(BIN)/dangjian worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py

test: install browser-deps postgres lint typecheck check-migrations test-sqlite test-postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

check-migrations: install
	DANGJIAN_VAR_DIR=$(CURDIR)/var/check $(BIN)/dangjian makemigrations --check --dry-run

# a pytest that ended before its session finished (the process ended by the code under test) leaves its marker
# behind (dangjian/conftest.py; one per run, named by the shell's pid): a failure, whatever its exit status
UNFINISHED_RUN = mark=.pytest-unfinished.$$$$; export PYTEST_UNFINISHED=$$mark; rm -f $$mark
UNFINISHED_CHECK = status=$$?; if [ -e $$mark ]; then rm -f $$mark; \
	echo "pytest 在测试会话结束前退出（进程被所测代码提前结束）：按失败处理。"; exit 1; fi; exit $$status

test-sqlite: install
	@$(UNFINISHED_RUN); $(BIN)/pytest; $(UNFINISHED_CHECK)

test-postgres: install
	@$(UNFINISHED_RUN); DATABASE_URL=$(PG_URL) TEST_DATABASE_NAME=$(PG_TEST_DB) $(BIN)/pytest; $(UNFINISHED_CHECK)

# Debian's Chromium and CJK fonts for the browser tests (installed when missing; needs root).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		echo "安装浏览器测试依赖：chromium fonts-noto-cjk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The PostgreSQL server on 127.0.0.1:5432; start the local cluster when it is installed but stopped.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "启动 PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
		for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL 不可用（127.0.0.1:5432）"; exit 1; }

benchmark: install
	$(BIN)/python benchmarks/seed_municipal.py

clean:
	rm -rf $(VENV) var/check .pytest_cache .ruff_cache
