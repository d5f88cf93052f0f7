// The packages of `compile --package` (docs/integration.md), built with the real tools where Debian has them:
// the CMake package with cmake + arm-none-eabi-gcc inside a parent whose CPU options live only on an
// INTERFACE target (and inside a Zephyr-style parent whose zephyr_library functions are stand-ins), the
// Arduino library with arduino-builder, the manifests against their published specifications, and the
// timing header with each core's cross compiler.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, lowerModel, parseInputQuant } from '../../src/compile.js';
import { emitC } from '../../src/backend/emit.js';
import { listTargets, loadTarget, type Package } from '../../src/backend/target.js';
import type { Graph } from '../../src/ir/types.js';
import { ROOT, available, hasTool } from '../helpers/resources.js';

const MLP = `${ROOT}examples/mlp/mlp.onnx`;
const work = mkdtempSync(join(tmpdir(), 'bnnc-pkg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let lowered: Graph | undefined;
function mlp(): Graph {
  lowered ??= lowerModel(loadModel(MLP), { inputQuant: parseInputQuant('1/255', undefined, 'uint8'), portableMath: true });
  return lowered;
}

/** Writes the package for `target` into `dir` and returns its files. */
function writePackage(dir: string, target: string, pkg: Package, prefix = 'mlp'): Map<string, string> {
  // the identity the CLI gives (a model's SHA-256), so the manifests carry the version users get: 0.1.0+cccccccccccc
  const files = emitC(mlp(), loadTarget(target), { prefix, package: pkg, identity: { modelSha256: 'c'.repeat(64) } });
  for (const [name, text] of files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return files;
}

function sh(cmd: string, args: string[], cwd: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 30 * 60_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

const M4_CPU = '-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16';
const TOOLCHAIN = `set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
`;

/** Configures and builds `src` with the arm-none-eabi toolchain file; returns the build's output. */
function cmakeBuild(src: string, defs: string[] = []): { ok: boolean; out: string } {
  writeFileSync(join(src, 'toolchain.cmake'), TOOLCHAIN);
  const build = join(src, 'build');
  const conf = sh('cmake', ['-S', src, '-B', build, `-DCMAKE_TOOLCHAIN_FILE=${join(src, 'toolchain.cmake')}`, ...defs], src);
  if (!conf.ok) return conf;
  const b = sh('cmake', ['--build', build, '--', 'VERBOSE=1'], src);
  return { ok: b.ok, out: conf.out + b.out };
}

/** A parent that keeps the CPU options on an INTERFACE target only and links its app to the model. */
function interfaceParent(dir: string, beforeAdd: string): void {
  writeFileSync(join(dir, 'CMakeLists.txt'), `cmake_minimum_required(VERSION 3.13)
project(parent C)
add_library(cpu INTERFACE)
target_compile_options(cpu INTERFACE ${M4_CPU})
${beforeAdd}
add_subdirectory(model)
add_library(app STATIC app.c)
target_link_libraries(app PRIVATE cpu mlp)
`);
  writeFileSync(join(dir, 'app.c'), '#include "mlp.h"\nint app(const uint8_t *in, float *out) { return mlp_run(in, out); }\n');
}

/** The CPU the object was built for, from its Arm build attributes. */
function cpuArch(obj: string): string {
  const r = execFileSync('arm-none-eabi-readelf', ['-A', obj], { encoding: 'utf8' });
  return /Tag_CPU_arch: (\S+)/.exec(r)?.[1] ?? r;
}

const arm = hasTool('cmake') && hasTool('arm-none-eabi-gcc');

describe('the CMake package with arm-none-eabi-gcc', () => {
  it.skipIf(!arm)('builds when the parent sets the CPU options on an INTERFACE target named in BNNC_CPU_TARGET', () => {
    const dir = join(work, 'cmake-iface');
    writePackage(join(dir, 'model'), 'cortex-m4', 'cmake');
    interfaceParent(dir, 'set(BNNC_CPU_TARGET cpu)');
    const r = cmakeBuild(dir);
    expect(r.ok, r.out).toBe(true);
    expect(cpuArch(join(dir, 'build/model/CMakeFiles/mlp.dir/mlp.c.obj'))).toBe('v7E-M');
  }, 30 * 60_000);

  it.skipIf(!arm)('builds with its default BNNC_CPU_FLAGS (the options of the target it was generated for)', () => {
    const dir = join(work, 'cmake-default');
    const files = writePackage(join(dir, 'model'), 'cortex-m4', 'cmake');
    expect(files.get('CMakeLists.txt')).toContain(`"${M4_CPU}"`);
    interfaceParent(dir, '');
    const r = cmakeBuild(dir);
    expect(r.ok, r.out).toBe(true);
    expect(cpuArch(join(dir, 'build/model/CMakeFiles/mlp.dir/mlp.c.obj'))).toBe('v7E-M');
  }, 30 * 60_000);

  it.skipIf(!arm)('fails as the issue reports when neither the flags nor the interface target reach the library', () => {
    // the control: without either, the library is compiled for the compiler's default core
    const dir = join(work, 'cmake-none');
    writePackage(join(dir, 'model'), 'cortex-m4', 'cmake');
    interfaceParent(dir, '');
    const r = cmakeBuild(dir, ['-DBNNC_CPU_FLAGS=']);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/not supported for this target|impossible constraint|error:/);
  }, 30 * 60_000);

  it.skipIf(!arm)('builds inside a Zephyr-style parent: the cmake package and the zephyr package via zephyr_library stand-ins', () => {
    const dir = join(work, 'zephyr-style');
    writePackage(join(dir, 'cmake-model'), 'cortex-m4', 'cmake', 'mlp');
    const files = writePackage(join(dir, 'module/zephyr'), 'cortex-m4', 'zephyr', 'mlz');
    expect(files.get('module.yml')).toMatch(/build:\n\s+cmake: zephyr\n\s+kconfig: zephyr\/Kconfig/);
    expect(files.get('Kconfig')).toMatch(/^config MLZ$/m);
    // what Zephyr's cmake/modules/extensions.cmake does, reduced: every library links zephyr_interface,
    // which carries the CPU options; zephyr_include_directories adds to zephyr_interface
    writeFileSync(join(dir, 'CMakeLists.txt'), `cmake_minimum_required(VERSION 3.13)
project(app C)
add_library(zephyr_interface INTERFACE)
target_compile_options(zephyr_interface INTERFACE ${M4_CPU})
macro(zephyr_library_named name)
  set(ZEPHYR_CURRENT_LIBRARY \${name})
  add_library(\${name} STATIC "")
  target_link_libraries(\${name} PUBLIC zephyr_interface)
endmacro()
function(zephyr_library_sources)
  target_sources(\${ZEPHYR_CURRENT_LIBRARY} PRIVATE \${ARGN})
endfunction()
function(zephyr_library_compile_options)
  target_compile_options(\${ZEPHYR_CURRENT_LIBRARY} PRIVATE \${ARGN})
endfunction()
function(zephyr_include_directories)
  target_include_directories(zephyr_interface INTERFACE \${ARGN})
endfunction()
set(CONFIG_MLZ y)
add_subdirectory(module/zephyr mlz)
add_subdirectory(cmake-model)
add_library(app STATIC app.c)
target_link_libraries(app PRIVATE zephyr_interface mlp mlz)
`);
    writeFileSync(join(dir, 'app.c'), '#include "mlp.h"\n#include "mlz.h"\nint app(const uint8_t *in, float *a, float *b) { return mlp_run(in, a) + mlz_run(in, b); }\n');
    const r = cmakeBuild(dir, ['-DBNNC_CPU_FLAGS=']); // the cmake package must find zephyr_interface itself
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toContain('-ffp-contract=off');
    expect(cpuArch(join(dir, 'build/cmake-model/CMakeFiles/mlp.dir/mlp.c.obj'))).toBe('v7E-M');
    expect(cpuArch(join(dir, 'build/mlz/CMakeFiles/mlz.dir/mlz.c.obj'))).toBe('v7E-M');
  }, 30 * 60_000);
});

/** key=value lines of a .properties file (the Arduino format: no continuation lines). */
function properties(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    expect(eq, line).toBeGreaterThan(0);
    m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

describe('package versions', () => {
  it("follow the header's identity: bnnc's version, and the model's SHA-256 as build metadata", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const shaA = 'a'.repeat(12) + '0'.repeat(52), shaB = 'b'.repeat(12) + '0'.repeat(52);
    const versions = (sha?: string) => {
      const opts = { prefix: 'mlp', identity: sha ? { modelSha256: sha } : undefined };
      const arduino = properties(emitC(mlp(), loadTarget('cortex-m4'), { ...opts, package: 'arduino' }).get('library.properties')!).get('version');
      const pio = (JSON.parse(emitC(mlp(), loadTarget('cortex-m4'), { ...opts, package: 'platformio' }).get('library.json')!) as { version: string }).version;
      const idf = /^version: "([^"]+)"$/m.exec(emitC(mlp(), loadTarget('esp32c3'), { ...opts, package: 'esp-idf' }).get('idf_component.yml')!)?.[1];
      return [arduino, pio, idf];
    };
    expect(versions(shaA)).toEqual(Array(3).fill(`${version}+aaaaaaaaaaaa`));
    expect(versions(shaB)).toEqual(Array(3).fill(`${version}+bbbbbbbbbbbb`));
    // bytes without a known hash (the library's compile of an in-memory graph): bnnc's version alone
    expect(versions()).toEqual(Array(3).fill(version));
    for (const v of versions(shaA)) expect(v).toMatch(SEMVER);
  });
});

describe('the Arduino library', () => {
  it('follows the library specification (1.5 format, rev. 2.2): library.properties, src/ and examples/<name>/<name>.ino', () => {
    const files = writePackage(join(work, 'arduino-spec'), 'cortex-m4', 'arduino');
    const p = properties(files.get('library.properties')!);
    // the fields the specification requires
    for (const k of ['name', 'version', 'author', 'maintainer', 'sentence', 'paragraph', 'category', 'url', 'architectures']) expect(p.get(k), k).toBeTruthy();
    // name: letters, digits, space, _ . - (arduino-lint's schema), at most 63 characters, not starting with "Arduino"
    expect(p.get('name')).toMatch(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/);
    expect(p.get('name')).not.toMatch(/^Arduino/i);
    expect(p.get('version')).toMatch(SEMVER);
    expect(['Display', 'Communication', 'Signal Input/Output', 'Sensors', 'Device Control', 'Timing', 'Data Storage', 'Data Processing', 'Other']).toContain(p.get('category'));
    // the 1.5 layout: the sources in src/, `includes` names headers there, one example sketch in a folder of its name
    for (const h of p.get('includes')!.split(',')) expect(files.has(`src/${h.trim()}`), h).toBe(true);
    expect([...files.keys()].sort()).toEqual(['README.md', 'examples/mlp/mlp.ino', 'library.properties', 'src/mlp.c', 'src/mlp.h', 'src/mlp_timing.h']);
  });

  const builder = hasTool('arduino-builder') && hasTool('avr-gcc') && available('the Arduino AVR core (Debian arduino-core-avr)', existsSync('/usr/share/arduino/hardware/arduino/avr'));
  it.skipIf(!builder)('its example sketch is built by arduino-builder with the library (host-target portable C, AVR core)', () => {
    const dir = join(work, 'arduino-build');
    writePackage(join(dir, 'libraries/mlp'), 'host', 'arduino');
    mkdirSync(join(dir, 'build'));
    const r = sh('arduino-builder', ['-compile', '-verbose', '-hardware', '/usr/share/arduino/hardware', '-hardware', '/usr/share/arduino-builder', '-tools', '/usr/bin', '-libraries', join(dir, 'libraries'), '-fqbn', 'arduino:avr:mega:cpu=atmega2560', '-build-path', join(dir, 'build'),
      join(dir, 'libraries/mlp/examples/mlp/mlp.ino')], dir);
    // the builder finds the library by its header, compiles its C from src/ with the Arduino recipe, and the sketch
    expect(r.out).toContain('Compiling library "mlp"');
    expect(r.out).toMatch(/avr-gcc" -c .*-std=gnu11 .*libraries\/mlp\/src\/mlp\.c" -o "[^"]*mlp\.c\.o"/);
    expect(existsSync(join(dir, 'build/libraries/mlp/mlp.c.o'))).toBe(true);
    expect(existsSync(join(dir, 'build/sketch/mlp.ino.cpp.o'))).toBe(true);
    // Debian's arduino-core-avr 1.8.19 does not build its own WString.cpp with Debian's avr-libc
    // (DECIMAL_DIG): any error must be there, in the core, not in the library or the sketch
    const errors = r.out.split('\n').filter((l) => /error:/.test(l));
    expect(errors.filter((l) => !l.includes('/cores/arduino/')), r.out).toEqual([]);
  }, 30 * 60_000);
});

describe('package selection', () => {
  it('follows the target by default, takes --package, and refuses a C package for the ts target (BNNC_E109)', () => {
    expect([...emitC(mlp(), loadTarget('esp32c3'), { prefix: 'm' }).keys()]).toContain('idf_component.yml');
    expect([...emitC(mlp(), loadTarget('esp32c3'), { prefix: 'm', package: 'zephyr' }).keys()].sort())
      .toEqual(['CMakeLists.txt', 'Kconfig', 'README.md', 'm.c', 'm.h', 'm_timing.h', 'module.yml']);
    expect([...emitC(mlp(), loadTarget('cortex-m4'), { prefix: 'm', package: 'none' }).keys()].sort()).toEqual(['README.md', 'm.c', 'm.h']);
    let code = '';
    try {
      emitC(mlp(), loadTarget('ts'), { package: 'arduino' });
    } catch (e) {
      code = (e as { code?: string }).code ?? String(e);
    }
    expect(code).toBe('BNNC_E109');
  });
});

describe('the PlatformIO library', () => {
  it('follows the library.json specification: name, semver version, sources and headers that exist, build flags', () => {
    const files = writePackage(join(work, 'pio'), 'cortex-m4', 'platformio');
    const j = JSON.parse(files.get('library.json')!) as Record<string, any>;
    expect(j.name).toMatch(/^[^/\\:*?"<>|]{1,50}$/); // max 50 characters, no path characters
    expect(j.version).toMatch(SEMVER);
    expect(typeof j.description).toBe('string');
    for (const k of ['frameworks', 'platforms']) expect(j[k] === '*' || Array.isArray(j[k]), k).toBe(true);
    expect(files.has(j.headers)).toBe(true);
    expect(j.build.srcDir).toBe('.');
    expect(j.build.includeDir).toBe('.');
    for (const f of j.build.srcFilter as string[]) expect(files.has(/^\+<(.+)>$/.exec(f)![1]), f).toBe(true);
    expect(j.build.flags).toContain('-ffp-contract=off');
    const known = ['name', 'version', 'description', 'keywords', 'authors', 'frameworks', 'platforms', 'headers', 'build', 'repository', 'license', 'homepage', 'export', 'dependencies', 'examples'];
    expect(Object.keys(j).filter((k) => !known.includes(k))).toEqual([]);
  });
});

describe('the timing header', () => {
  // one object per core with its cross compiler: the counter reads, the layer table and the mark
  const targets = listTargets().map((n) => loadTarget(n)).filter((t) => t.language === 'c');
  it('declares a cycle counter for every core', () => {
    const kinds = Object.fromEntries(targets.map((t) => [t.name, t.cycleCounter]));
    expect(kinds['cortex-m0plus']).toBe('systick');
    for (const m of ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55']) expect(kinds[m], m).toBe('dwt-cyccnt');
    expect(kinds.esp32).toBe('xtensa-ccount');
    expect(kinds.esp32s3).toBe('xtensa-ccount');
    expect(kinds.esp32c3).toBe('esp-pccr');
  });
  it.skipIf(!hasTool('gcc'))('gives layer i the interval between marks i and i + 1 (host run, a stand-in timer through BNNC_CYCLES_NOW)', () => {
    const t = loadTarget('host');
    const dir = join(work, 'timing-run');
    writePackage(dir, 'host', 'cmake');
    // call j of the timer returns j(j+1)/2: each mark reads it twice (the interval's end, then the next
    // interval's start), so layer k spans calls 2k+2 to 2k+3 and measures 2k + 3
    writeFileSync(join(dir, 'main.c'), [
      '#define BNNC_TIMING_DEFINE_MARK', '#include "mlp_timing.h"', '#include "mlp.h"', '#include <stdio.h>',
      'static uint32_t calls, value;', 'uint32_t fake_timer(void) { calls++; value += calls; return value; }',
      'int main(void)', '{', '    static uint8_t in[MLP_INPUT_COUNT];', '    static float out[MLP_OUTPUT_COUNT];', '    uint32_t i;',
      '    mlp_cycles_init();', '    mlp_timing_start();', '    (void)mlp_run(in, out);',
      '    printf("calls %u\\n", (unsigned)calls);',
      '    for (i = 0u; i < MLP_LAYER_COUNT + 1u; i++) printf("%s %u\\n", mlp_layer_name(i), i < MLP_LAYER_COUNT ? (unsigned)mlp_layer_cycles[i] : 0u);',
      '    return 0;', '}', ''].join('\n'));
    const b = sh(t.compiler.cc, [...t.compiler.flags, ...t.compiler.warnFlags, '-Werror', '-DBNNC_BENCH', '-DBNNC_CYCLES_NOW=fake_timer', 'main.c', 'mlp.c', '-o', 'timed'], dir);
    expect(b.ok, b.out).toBe(true);
    const r = sh('./timed', [], dir);
    expect(r.ok, r.out).toBe(true);
    const fns = [...readFileSync(join(dir, 'mlp.c'), 'utf8').matchAll(/^static (?:BNNC_KERNEL )?void (mlp_l\d+_\w+)\(/gm)].map((m) => m[1]);
    expect(fns).toHaveLength(4);
    expect(r.out).toBe(`calls 10\n${fns.map((f, k) => `${f} ${2 * k + 3}\n`).join('')} 0\n`);
  });
  it.skipIf(!hasTool('riscv64-unknown-elf-gcc'))('reads mcycle for a generic RISC-V core (a target declaring riscv-mcycle), Zicsr enabled locally', () => {
    const t = { ...loadTarget('esp32c3'), cycleCounter: 'riscv-mcycle' as const };
    const dir = join(work, 'timing-mcycle');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of emitC(mlp(), t, { prefix: 'mlp', package: 'cmake' })) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'c.c'), '#include "mlp_timing.h"\nuint32_t c(void) { uint32_t a = mlp_cycles_now(); return mlp_cycles_between(a, mlp_cycles_now()); }\n');
    const r = sh(t.compiler.cc, [...t.compiler.flags, ...t.compiler.warnFlags, '-Werror', '-c', 'c.c'], dir);
    expect(r.ok, r.out).toBe(true);
    const d = sh('riscv64-unknown-elf-objdump', ['-d', 'c.o'], dir);
    expect(d.out).toMatch(/csrr\s+\w+,\s*(mcycle|0xb00)/);
  });
  for (const t of targets) {
    it.skipIf(!hasTool(t.compiler.cc))(`compiles for ${t.name} with ${t.compiler.cc}, warnings as errors, and times every layer`, () => {
      const dir = join(work, `timing-${t.name}`);
      const files = writePackage(dir, t.name, 'cmake');
      const h = files.get('mlp_timing.h')!;
      expect(h).toContain('#define MLP_LAYER_COUNT 4');
      writeFileSync(join(dir, 'timed.c'), [
        '#define BNNC_TIMING_DEFINE_MARK', '#include "mlp_timing.h"', '#include "mlp.h"',
        'uint32_t timed(const uint8_t *in, float *out, const char **slowest)', '{',
        '    uint32_t i, best = 0u;', '    mlp_cycles_init();', '    mlp_timing_start();', '    (void)mlp_run(in, out);',
        '    for (i = 0u; i < MLP_LAYER_COUNT; i++) if (mlp_layer_cycles[i] >= best) { best = mlp_layer_cycles[i]; *slowest = mlp_layer_name(i); }',
        '    return best;', '}', ''].join('\n'));
      const r = sh(t.compiler.cc, [...t.compiler.flags, ...t.compiler.warnFlags, '-Werror', '-DBNNC_BENCH', '-c', 'timed.c', 'mlp.c'], dir);
      expect(r.ok, r.out).toBe(true);
      const nm = sh(t.compiler.size.replace(/size$/, 'nm'), ['timed.o'], dir);
      expect(nm.out).toMatch(/ T mlp_mark\b/);
      expect(readFileSync(join(dir, 'mlp.c'), 'utf8')).toContain('mlp_mark()');
    }, 30 * 60_000);
  }
});
