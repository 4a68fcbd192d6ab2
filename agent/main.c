#include <stdio.h>
#include <libwebsockets.h>
#include <cjson/cJSON.h>
int main(void) { printf("%s %s\n", lws_get_library_version(), cJSON_Version()); return 0; }
