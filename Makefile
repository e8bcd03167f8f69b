# Kvorum: the README's two commands, `make run` and `make test`, do all set-up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run test system-deps lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

## make run: start the server with the demo meeting (https://localhost:8443/)
run: $(STAMP)
	$(PY) -m server $(ARGS)

## make test: install what the tests need (Debian chromium) and run every test,
## inside a network namespace that has only loopback (MEDIA.md).
test: lint system-deps
	bash scripts/in-loopback-netns.sh $(PY) -m pytest $(PYTEST_ARGS)

## (coturn: the TURN tests start their own turnserver on 127.0.0.1; the system service
## the package would start is switched off again.)
system-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v ip >/dev/null 2>&1 || missing="$$missing iproute2"; \
	command -v turnserver >/dev/null 2>&1 || missing="$$missing coturn"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the tests:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  case "$$missing" in *coturn*) systemctl disable --now coturn >/dev/null 2>&1 || true;; esac; \
	fi

## make lint: ruff on every package, mypy (strict) on the pure rules in compliance/
lint: $(STAMP)
	$(PY) -m ruff check server media compliance bench tests
	$(PY) -m mypy compliance

clean:
	rm -rf $(VENV) var
