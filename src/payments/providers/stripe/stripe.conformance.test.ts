import { describeAdapterConformance } from '../conformance/adapter-suite.ts';
import { stripeConformanceDriver } from './index.ts';

describeAdapterConformance(stripeConformanceDriver);
