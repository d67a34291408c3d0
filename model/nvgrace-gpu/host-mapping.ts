// What the host's user mapping of an nvgrace-gpu region looks like once nvgrace_gpu_mmap has run: the page
// protection (its MAIR memory type) and the VMA flags that KVM later reads when it faults the region into a
// guest. A small pure function so that the KVM stage-2 specification uses exactly the protection this one gives.
//
// Source: 001_d5d5d944b120b211.txt ("resmem is mapped pgprot_writecombine(), that sets the Qemu VMA page
// properties (pgprot) as NORMAL_NC"; usemem "can be mmaped into the user VMA with a cacheable mapping") and the
// merged drivers/vfio/pci/nvgrace-gpu/main.c, nvgrace_gpu_mmap (VM_ALLOW_ANY_UNCACHED and pgprot_writecombine for
// the resmem index only; remap_pfn_range for both, which sets VM_IO | VM_PFNMAP).

/** The memory type a page protection selects (the MAIR attribute index of the pgprot). */
export type MemType = 'normal' | 'normal-nc' | 'device';

/** The two carved-out regions of device memory. */
export type DeviceRegion = 'usemem' | 'resmem';

/** The VMA flags the stage-2 fault path looks at. */
export interface VmaFlags {
  /** VM_PFNMAP: raw page frames without struct pages behind them may be mapped. */
  readonly pfnmap: boolean;
  /** VM_IO: the mapping is of I/O memory. */
  readonly io: boolean;
  /** VM_ALLOW_ANY_UNCACHED: the owner accepts a Normal-NC stage-2 mapping instead of Device. */
  readonly allowAnyUncached: boolean;
  /** VM_MTE_ALLOWED: the memory can hold MTE allocation tags. */
  readonly mteAllowed: boolean;
}

export interface HostVma {
  /** The memory type of vma->vm_page_prot. */
  readonly pgprot: MemType;
  readonly flags: VmaFlags;
}

/**
 * The VMA nvgrace_gpu_mmap leaves behind for a region. usemem keeps the default protection of a shared file
 * mapping (Normal, cacheable); resmem gets pgprot_writecombine (Normal-NC) and VM_ALLOW_ANY_UNCACHED. Both are
 * populated by remap_pfn_range, which sets VM_IO and VM_PFNMAP; neither is ever VM_MTE_ALLOWED (that flag is
 * only given to anonymous, shmem and hugetlb mappings).
 */
export function nvgraceHostVma(region: DeviceRegion): HostVma {
  const resmem = region === 'resmem';
  return {
    pgprot: resmem ? 'normal-nc' : 'normal',
    flags: { pfnmap: true, io: true, allowAnyUncached: resmem, mteAllowed: false },
  };
}

/** Whether a protection maps memory cacheable (kvm_vma_is_cacheable: anything but Normal-NC and Device). */
export function isCacheableType(type: MemType): boolean {
  return type === 'normal';
}
