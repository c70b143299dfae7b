-- Reserved for issue 17 (0006_search); filled in by the change that brings it.
SELECT 1;
