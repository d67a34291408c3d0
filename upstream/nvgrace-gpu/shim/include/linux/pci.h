/* gpumem-spec shim: every kernel service the driver uses is in gpumem_kernel.h. */
#include "../gpumem_kernel.h"
