/* gpumem-spec shim: see uvm_shim_base.h */
#include "uvm_shim_base.h"
