/* SPDX-License-Identifier: MIT */
/*
 * The kselftest harness kills any test that runs longer than a fixed 30 s.
 * Under TCG with KASAN and lockdep, iommufd's mock_domain.access_rw takes
 * about that long on a loaded host, and was killed once. Give every test
 * of the iommu suite ten times as long; a hang still ends in the guest's
 * own per-program timeout. tests/vm/debug/selftests force-includes this
 * after the harness itself (whose guard then keeps it from being read
 * again), so the tests' macros expand with the new value.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
