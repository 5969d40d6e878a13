/* validate.h — `ragtop validate`: load and check config/params.yaml and
 * services.yml, print every problem, exit 78 (EX_CONFIG) on any. */
#ifndef RAGTOP_VALIDATE_H
#define RAGTOP_VALIDATE_H

/* argv[0] is "validate". Returns the exit status. */
int validate_main(int argc, char **argv);

#endif
