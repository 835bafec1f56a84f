/* One Suite per module; tests/unit/main.c adds them all. */
#ifndef VS_TEST_SUITES_H
#define VS_TEST_SUITES_H

#include <check.h>

Suite *config_suite(void);
Suite *dotenv_suite(void);
Suite *resolve_suite(void);
Suite *vault_suite(void);
Suite *vault_prod_suite(void);
Suite *vault_fidelity_suite(void);
Suite *snapshot_suite(void);
Suite *target_suite(void);
Suite *log_suite(void);
Suite *rules_suite(void);
Suite *core_rules_suite(void);

#endif
