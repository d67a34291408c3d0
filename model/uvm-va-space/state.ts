// State of one UVM per-process VA space: which GPUs are registered, the processor masks that say who can
// access, copy from and atomically access whose memory, the torn-down-mm state, the Confidential-Computing
// buffers held for registered GPUs, and the sysmem DMA allocations made for the VA space's GPUs.
// Sources: 000_e4d5058719a42ede.txt ("uvm_va_space_register_gpu", the uvm_mem.c sections) and
// 003_af321b1ea2953044.txt ("va_space_create").

import { bitsOf, cpuMappingDecrypted, emptyUvmMemSpace, PAGE_SIZE, snapshotUvmMemSpace, type UvmMemSpace } from '../uvm-mem/index.js';

/** A GPU of the machine the model runs on, with the properties registration looks at. */
export interface GpuInfo {
  readonly name: string;
  /** What kind of part it stands for, for traces and the README. */
  readonly kind: string;
  /** uvm_parent_gpu_is_coherent(): cache-coherent with the CPU (a C2C or NVLink system memory window). */
  readonly coherent: boolean;
  /** gpu->mem_info.numa.enabled: its memory is a CPU NUMA node (upstream: exactly when coherent). */
  readonly numa: boolean;
  /** Confidential Computing is on for this GPU (uvm_conf_computing_mode_enabled(gpu)). */
  readonly cc: boolean;
  /** gpu->parent->system_bus.link >= UVM_GPU_LINK_NVLINK_1 (C2C counts). */
  readonly sysmemNvlink: boolean;
  /** gpu->parent->isr.replayable_faults.handling. */
  readonly replayableFaults: boolean;
  /** uvm_gpu_access_counters_required(gpu->parent): counters are enabled before the VA space lock. */
  readonly accessCountersRequired: boolean;
}

/**
 * The fixed machine: two non-coherent GPUs joined by NVLink (one of them with an NVLink system-memory link and
 * access counters), a non-coherent GPU in CC mode, and two coherent (C2C, NUMA) GPUs joined by NVLink.
 * There is no coherent GPU in CC mode: for one, has_native_atomics[gpu] would hold the CPU while can_access[gpu]
 * does not, which va_space_check_processors_masks asserts against (see README).
 */
export const GPUS: readonly GpuInfo[] = [
  { name: 'gpu0', kind: 'PCIe, non-coherent', coherent: false, numa: false, cc: false, sysmemNvlink: false, replayableFaults: true, accessCountersRequired: false },
  { name: 'gpu1', kind: 'NVLink to the CPU, non-coherent', coherent: false, numa: false, cc: false, sysmemNvlink: true, replayableFaults: true, accessCountersRequired: true },
  { name: 'gpu2', kind: 'PCIe, non-coherent, Confidential Computing on', coherent: false, numa: false, cc: true, sysmemNvlink: false, replayableFaults: true, accessCountersRequired: false },
  { name: 'gpu3', kind: 'C2C, coherent, NUMA', coherent: true, numa: true, cc: false, sysmemNvlink: true, replayableFaults: true, accessCountersRequired: true },
  { name: 'gpu4', kind: 'C2C, coherent, NUMA, no replayable faults', coherent: true, numa: true, cc: false, sysmemNvlink: true, replayableFaults: false, accessCountersRequired: false },
];

export const GPU_COUNT = GPUS.length;

/** Pairs of GPUs with an NVLink peer link (register_gpu_nvlink_peers enables peer access between them). */
export const NVLINK_PEER_PAIRS: readonly (readonly [number, number])[] = [
  [0, 1],
  [3, 4],
];

/** Coherent DMA memory the model's machine has, in pages: small, so running out happens in short cases. */
export const DMA_PAGES_TOTAL = 32n;

/** Processor ids as UVM numbers them: the CPU is 0, GPU g is g + 1. Masks are bitmaps over these ids. */
export type ProcId = number;
export const CPU: ProcId = 0;
export const PROC_COUNT = GPU_COUNT + 1;
export const gpuProc = (g: number): ProcId => g + 1;
export const procBit = (p: ProcId): number => 1 << p;
export const gpuProcBit = (g: number): number => procBit(gpuProc(g));

export function peersOf(g: number): number[] {
  return NVLINK_PEER_PAIRS.filter(([a, b]) => a === g || b === g).map(([a, b]) => (a === g ? b : a));
}

/** Bit of the enabled_peers bitmap for the pair {g0, g1}. */
export function pairBit(g0: number, g1: number): number {
  const [a, b] = g0 < g1 ? [g0, g1] : [g1, g0];
  return 1 << (a * GPU_COUNT + b);
}

export interface VaSpaceState {
  /** uvm_va_space_create has succeeded (the file is open). */
  created: boolean;
  /** The VA space's mm is still alive (uvm_va_space_mm_shutdown has not run). */
  mmAlive: boolean;
  /** va_space->disallow_new_registers. */
  disallowNewRegisters: boolean;
  /** va_space->registered_gpus (GPU processor bits). */
  registered: number;
  /** The processor mask arrays, indexed by processor id. */
  canAccess: number[];
  accessibleFrom: number[];
  canCopyFrom: number[];
  hasNativeAtomics: number[];
  /** has_nvlink (has_fast_link upstream). */
  hasNvlink: number[];
  faultable: number;
  systemWideAtomics: number;
  /** va_space->enabled_peers: one bit per GPU pair (pairBit). */
  enabledPeers: number;
  /** va_space->gpu_unregister_dma_buffer[g] is set. */
  unregisterDmaBuffer: boolean[];
  /** Buffers this VA space has taken from GPU g's CC DMA buffer pool and not given back. */
  ccPoolTaken: number[];
  /** va_space->peers_to_release[g] is allocated. */
  peersToRelease: boolean[];
  /** References this VA space holds on GPU g (uvm_gpu_retain_by_uuid / uvm_gpu_release). */
  gpuRetained: number[];
  /** This VA space's access-counter enablements on GPU g (enable / disable pairs). */
  accessCounterRefs: number[];
  /** The sysmem DMA allocations made for the VA space's GPUs and their mappings. */
  mem: UvmMemSpace;
}

const zeros = (): number[] => Array.from({ length: PROC_COUNT }, () => 0);

/** Before uvm_va_space_create: nothing exists. */
export function initialVaSpaceState(): VaSpaceState {
  return {
    created: false,
    mmAlive: true,
    disallowNewRegisters: false,
    registered: 0,
    canAccess: zeros(),
    accessibleFrom: zeros(),
    canCopyFrom: zeros(),
    hasNativeAtomics: zeros(),
    hasNvlink: zeros(),
    faultable: 0,
    systemWideAtomics: 0,
    enabledPeers: 0,
    unregisterDmaBuffer: GPUS.map(() => false),
    ccPoolTaken: GPUS.map(() => 0),
    peersToRelease: GPUS.map(() => false),
    gpuRetained: GPUS.map(() => 0),
    accessCounterRefs: GPUS.map(() => 0),
    mem: emptyUvmMemSpace(GPU_COUNT, false, DMA_PAGES_TOTAL),
  };
}

export function snapshotVaSpace(s: VaSpaceState): VaSpaceState {
  return {
    created: s.created,
    mmAlive: s.mmAlive,
    disallowNewRegisters: s.disallowNewRegisters,
    registered: s.registered,
    canAccess: [...s.canAccess],
    accessibleFrom: [...s.accessibleFrom],
    canCopyFrom: [...s.canCopyFrom],
    hasNativeAtomics: [...s.hasNativeAtomics],
    hasNvlink: [...s.hasNvlink],
    faultable: s.faultable,
    systemWideAtomics: s.systemWideAtomics,
    enabledPeers: s.enabledPeers,
    unregisterDmaBuffer: [...s.unregisterDmaBuffer],
    ccPoolTaken: [...s.ccPoolTaken],
    peersToRelease: [...s.peersToRelease],
    gpuRetained: [...s.gpuRetained],
    accessCounterRefs: [...s.accessCounterRefs],
    mem: snapshotUvmMemSpace(s.mem),
  };
}

export function procName(p: ProcId): string {
  return p === CPU ? 'cpu' : (GPUS[p - 1]?.name ?? `proc${p}`);
}

/** A processor mask as the kernel's debug output would list it: {cpu gpu0 gpu3}. */
export function formatMask(mask: number): string {
  const names: string[] = [];
  for (let p = 0; p < PROC_COUNT; p++) if (mask & procBit(p)) names.push(procName(p));
  return `{${names.join(' ')}}`;
}

export function registeredGpus(s: VaSpaceState): number[] {
  return GPUS.map((_, g) => g).filter((g) => (s.registered & gpuProcBit(g)) !== 0);
}

export function isRegistered(s: VaSpaceState, g: number): boolean {
  return (s.registered & gpuProcBit(g)) !== 0;
}

/** Live allocations in id order; operations name one by `slot` modulo their number. */
export function liveMems(s: VaSpaceState): number[] {
  return [...s.mem.mems.keys()].sort((a, b) => a - b);
}

export function describeVaSpace(s: VaSpaceState): string {
  if (!s.created) return 'no VA space';
  const regs = registeredGpus(s).map((g) => GPUS[g]?.name);
  const peers = NVLINK_PEER_PAIRS.filter(([a, b]) => s.enabledPeers & pairBit(a, b)).map(([a, b]) => `gpu${a}-gpu${b}`);
  const cc = GPUS.map((g, i) => (s.unregisterDmaBuffer[i] ? g.name : '')).filter((x) => x !== '');
  const row = (name: string, arr: number[]) =>
    `${name} ` + arr.map((m, p) => (m === 0 ? '' : `${procName(p)}${formatMask(m)}`)).filter((x) => x !== '').join(' ');
  const mems = liveMems(s).map((id) => {
    const m = s.mem.mems.get(id);
    if (m === undefined) return '';
    const gpus = bitsOf(m.kernelMappedOn).map((g) => `gpu${g}`).join(',');
    const decrypted = cpuMappingDecrypted(s.mem, id);
    const cpu = !m.cpuKernelMapped ? '' : decrypted ? ', cpu-mapped decrypted' : s.mem.sevEnabled ? ', cpu-mapped ENCRYPTED' : ', cpu-mapped';
    const plural = m.chunks === 1n ? '' : 's';
    const pages = m.chunkSize === PAGE_SIZE ? `${m.chunks} page${plural}` : `${m.chunks} chunk${plural} of 0x${m.chunkSize.toString(16)} B`;
    return `m${id}(owner gpu${m.dmaOwner}, 0x${m.size.toString(16)} B, ${pages}${gpus ? `, kernel-mapped on ${gpus}` : ''}${cpu})`;
  });
  const accounting = s.mem.mappedCpuPagesSize.map((v, g) => (v === 0n ? '' : `gpu${g}=0x${v.toString(16)}`)).filter((x) => x !== '');
  return [
    `registered={${regs.join(' ')}} mm=${s.mmAlive ? 'alive' : 'torn down'}${s.disallowNewRegisters ? ' (no new registrations)' : ''}` +
      (peers.length ? ` peers={${peers.join(' ')}}` : '') +
      (cc.length ? ` cc-unregister-buffers={${cc.join(' ')}}` : '') +
      (s.mem.sevEnabled ? ' sev=on' : ''),
    [row('can_access', s.canAccess), row('accessible_from', s.accessibleFrom), row('can_copy_from', s.canCopyFrom)].join(' | '),
    ...(s.mem.mems.size > 0 || accounting.length > 0
      ? [`mems: ${mems.join(' ') || 'none'} free-dma-pages=${s.mem.dmaPagesFree}` + (accounting.length ? ` mapped_cpu_pages_size: ${accounting.join(' ')}` : '')]
      : []),
  ].join('\n     ');
}
