# Thin wrapper over Meson: `make`, `make demo`, `make check`.
BUILD ?= build
SAN   ?= build-san
MESON_SETUP = meson setup --wrap-mode=nodownload

.PHONY: all deps deps-test deps-fuzz demo check check-plain check-san check-tsan fuzz clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@bash scripts/deps.sh build

deps-test:
	@bash scripts/deps.sh test

deps-fuzz:
	@bash scripts/deps.sh fuzz

$(BUILD)/build.ninja:
	$(MESON_SETUP) $(BUILD) >/dev/null

$(SAN)/build.ninja:
	$(MESON_SETUP) $(SAN) -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

demo: all
	@bash scripts/demo.sh $(BUILD)

# The tests, on a normal build and on an AddressSanitizer+UBSan build.
check: deps-test check-plain check-san check-tsan

check-plain: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs

check-san: $(SAN)/build.ninja
	ninja -C $(SAN)
	meson test -C $(SAN) --print-errorlogs

# libpinch's threaded tests under ThreadSanitizer (~10 s).
check-tsan:
	bash tests/tsan/run.sh build-tsan

# A libFuzzer campaign (clang): every tests/fuzz target for FUZZ_SECONDS
# (60) each; corpora in FUZZ_CORPUS (~/.cache/pinch-fuzz). docs/fuzzing.md.
fuzz: deps-fuzz
	@bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD) $(SAN) build-tsan build-fuzz
