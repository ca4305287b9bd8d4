/* bcryptprimitives.dll for Wine 8, which lacks it: Rust >= 1.78 draws its random numbers
 * (HashMap seeds) from ProcessPrng and cannot start without it. Built with mingw-w64 by
 * scripts/wine/setup.sh into the prefix's system32. RtlGenRandom (advapi32's
 * SystemFunction036) takes a ULONG length, so larger requests go in chunks. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
